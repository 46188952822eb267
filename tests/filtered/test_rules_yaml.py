"""The rule files: counts, fidelity to REFINECODE.md §4, and validation errors naming file:line."""


import pytest

from codelake.filtered import RuleError, load_rules
from codelake.filtered.registry import SIGNALS
from codelake.filtered.rules import DEFAULT_DIR

GOOD = """rules:
  - name: ok_rule
    signal: qsc_code_num_words
    op: "<"
    threshold: 30
    applies_to: [python]
    probability: 1.0
    description: fine
"""


def test_default_rules_load_and_count(rules):
    assert len(rules) >= 130
    assert len({r.name for r in rules.rules}) == len(rules)
    for rule in rules.enabled:
        assert rule.signal in SIGNALS
    per_file = {}
    for rule in rules.rules:
        per_file[rule.source.split(":")[0].rsplit("/", 1)[-1]] = per_file.get(rule.source.split(":")[0].rsplit("/", 1)[-1], 0) + 1
    assert set(per_file) >= {"text.yaml", "code.yaml", "python.yaml", "c.yaml", "cpp.yaml", "csharp.yaml", "go.yaml",
                             "java.yaml", "javascript.yaml", "html.yaml"}


def test_every_rule_file_cites_the_released_filter():
    for path in DEFAULT_DIR.glob("*.yaml"):
        assert "OpenCoder-llm/opc_data_filtering" in path.read_text().splitlines()[0], path


def test_probabilistic_rules_are_the_reference_eight(rules):
    prob = {r.name: r.probability for r in rules.rules if r.probability < 1.0}
    assert prob == {f"{p}_no_logic": 0.8 for p in ("python", "c", "cpp", "csharp", "go", "java", "javascript")} | {"go_testfile": 0.8}


@pytest.mark.parametrize(
    "name,threshold",
    [("code_num_words_min", 30), ("code_num_chars_max_data", 5000), ("code_size_max", 3e6), ("code_line_max", 1000),
     ("code_digits_max_sql", 0.3), ("code_dupe_5grams", 0.8), ("code_dupe_6grams_html", 0.6), ("doc_readmore_zh", 0.3),
     ("doc_mean_word_length_min_zh", 1.3), ("python_pass", 0.05), ("python_import", 0.3), ("html_text_chars", 100)],
)
def test_thresholds_match_refinecode(rules, name, threshold):
    assert rules.by_name(name).threshold == threshold


def test_profile_exceptions(rules):
    assert "html" not in rules.by_name("code_comments_max").applies_to
    assert set(rules.by_name("code_assert").applies_to).isdisjoint({"data", "shell", "go", "html"})
    assert rules.by_name("code_words_unique_data").applies_to == ("data",)


def test_fingerprint_changes_with_bytes(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(GOOD)
    first = load_rules(tmp_path).fingerprint()
    a.write_text(GOOD.replace("threshold: 30", "threshold: 31"))
    assert load_rules(tmp_path).fingerprint() != first


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RuleError) as info:
        load_rules(path)
    return str(info.value)


@pytest.mark.parametrize(
    "old,new,line,words",
    [
        ("signal: qsc_code_num_words", "signal: qsc_code_num_wrods", 3, "unknown signal 'qsc_code_num_wrods'"),
        ('op: "<"', 'op: "=<"', 4, "bad op"),
        ("threshold: 30", "threshold: thirty", 5, "threshold must be a number"),
        ("threshold: 30", "threshold: .nan", 5, "threshold must be a number"),
        ("probability: 1.0", "probability: 1.5", 7, "probability must be"),
        ("probability: 1.0", "probability: 0", 7, "probability must be"),
        ("applies_to: [python]", "applies_to: [pyhton]", 6, "unknown profile 'pyhton'"),
        ("    description: fine\n", "    description: fine\n    weight: 2\n", 9, "unknown key 'weight'"),
        ("    description: fine\n", "", 2, "missing 'description'"),
        ("signal: qsc_code_num_words", "signal: qsc_codejava_frac_words_legal_var_name", 3, "not computed"),
    ],
)
def test_validation_errors_name_file_and_line(tmp_path, old, new, line, words):
    message = _error(tmp_path, GOOD.replace(old, new))
    assert message.startswith(f"{tmp_path / 'bad.yaml'}:{line}:"), message
    assert words in message


def test_boolean_signal_needs_boolean_threshold(tmp_path):
    text = GOOD.replace("qsc_code_num_words", "qsc_code_cate_autogen").replace('"<"', "==")
    assert ":5:" in _error(tmp_path, text)


def test_duplicate_names_and_bad_yaml(tmp_path):
    assert "duplicate rule name" in _error(tmp_path, GOOD + GOOD.split("rules:\n", 1)[1])
    message = _error(tmp_path, GOOD.replace("applies_to: [python]", "applies_to: [python"))
    assert "invalid YAML" in message and "bad.yaml:" in message


def test_disabled_rule_may_name_uncomputed_signal(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD.replace("qsc_code_num_words", "qsc_codejava_frac_words_legal_var_name").replace("    description", "    enabled: false\n    description"))
    assert not load_rules(path).rules[0].enabled
