"""Rule files: they load, and every error names the file at fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codelake.rules import RuleFileError
from codelake.transformed import TransformRules
from codelake.transformed.rules import RULE_FILE_NAMES, TRANSFORM_DIR


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    for name in RULE_FILE_NAMES:
        shutil.copy(TRANSFORM_DIR / name, tmp_path / name)
    return tmp_path


def test_loads_and_covers_common_languages():
    rules = TransformRules.load()
    for lang in ["Python", "C", "C++", "Java", "JavaScript", "TypeScript", "Shell", "HTML", "Go", "Rust", "Ruby", "SQL", "Haskell", "Lua", "PHP", "Kotlin", "C#"]:
        assert lang in rules.syntaxes, lang
    assert len(rules.syntaxes) >= 250
    assert len(rules.fingerprint()) > 8


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    "file,old,new,message",
    [
        ("pii.yaml", "pattern: '(?<![A-Za-z0-9/+])(?:A3T", "pattern: '(?<![A-Za-z0-9/+])((?:A3T", "invalid regex"),
        ("pii.yaml", "kind: password\n", "kind: passphrase\n", "has no placeholder"),
        ("pii.yaml", "validate: jwt", "validate: jwtt", "unknown validator"),
        ("pii.yaml", "flags: [DOTALL]", "flags: [DOTAL]", "unknown flag"),
        ("pii.yaml", "min_entropy: 3.0", "min_entropy: high", "min_entropy"),
        ("comments.yaml", "languages: [Ruby]", "languages: [Rubyy]", "unknown language"),
        ("comments.yaml", "languages: [Julia]", "languages: [Julia, Ruby]", "already in"),
        ("comments.yaml", 'block: [["(:", ":)"]]', 'block: [["(:"]]', "[open, close]"),
        ("copyright.yaml", "  - '\\bcopyright\\b'", "  - '\\bcopyright(\\b'", "invalid regex"),
        ("copyright.yaml", "max_header_lines: 400", "max_header_lines: -1", "max_header_lines"),
        ("copyright.yaml", "keywords:", "keywords: [\n", "invalid YAML"),
    ],
)
def test_errors_name_the_file(rules_copy, file, old, new, message):
    _edit(rules_copy / file, old, new)
    with pytest.raises(RuleFileError) as err:
        TransformRules.load(rules_copy)
    assert str(rules_copy / file) in str(err.value)
    assert message in str(err.value)


def test_missing_file_named(rules_copy):
    (rules_copy / "pii.yaml").unlink()
    with pytest.raises(RuleFileError, match="pii.yaml"):
        TransformRules.load(rules_copy)


def test_detector_error_names_the_detector(rules_copy):
    _edit(rules_copy / "pii.yaml", "pattern: '(?<![A-Za-z0-9_])npm_", "pattern: '(?<![A-Za-z0-9_])npm_(")
    with pytest.raises(RuleFileError, match=r"pii\.yaml: detectors\[\d+\] \(npm_token\)"):
        TransformRules.load(rules_copy)
