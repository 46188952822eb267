"""Prompt templates in rules/prompts/: loading, substitution, errors naming the file, hashing."""

from __future__ import annotations

import pytest

from codelake.llm import PROMPTS_DIR, load_prompt, prompts_fingerprint
from codelake.rules import RuleFileError


@pytest.mark.parametrize("name", ["synthetic_snippet", "textbook_topic", "textbook_code"])
def test_shipped_templates_render(name):
    template = load_prompt(name)
    values = {p: f"<{p} with {{braces}} and $dollars>" for p in template.placeholders}
    messages = template.messages(**values)
    assert messages[-1]["role"] == "user"
    for value in values.values():
        assert value in "".join(m["content"] for m in messages)  # inserted as is, never re-read
    assert template.params["max_tokens"] > 0


def test_missing_value_and_bad_files_name_the_file(tmp_path):
    (tmp_path / "p.yaml").write_text("user: 'Explain $topic in $language'\n")
    with pytest.raises(RuleFileError, match=r"p\.yaml: placeholders \['language'\]"):
        load_prompt("p", tmp_path).messages(topic="heaps")
    (tmp_path / "q.yaml").write_text("user: 'costs $ 5'\n")
    with pytest.raises(RuleFileError, match=r"q\.yaml: bad placeholder"):
        load_prompt("q", tmp_path)
    (tmp_path / "r.yaml").write_text("user: hi\nparams: {temprature: 1}\n")
    with pytest.raises(RuleFileError, match=r"r\.yaml: 'params'"):
        load_prompt("r", tmp_path)


def test_editing_a_template_changes_the_fingerprint(tmp_path):
    for path in PROMPTS_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    before = prompts_fingerprint(tmp_path)
    assert before == prompts_fingerprint(PROMPTS_DIR)
    with (tmp_path / "textbook_topic.yaml").open("a") as f:
        f.write("# tweak\n")
    assert prompts_fingerprint(tmp_path) != before
