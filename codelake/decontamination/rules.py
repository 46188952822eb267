"""rules/sft/decontamination.yaml, validated with errors naming the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR, codelake_home

DECONTAMINATION_RULES = RULES_DIR / "sft" / "decontamination.yaml"


def default_benchmarks_landing() -> Path:
    return codelake_home() / "landing" / "benchmarks"


@dataclass(frozen=True)
class DecontaminationRules:
    ngram: int
    humaneval: bool
    id_fields: tuple[str, ...]
    skip_fields: frozenset[str]
    entry_point_fields: tuple[str, ...]
    min_entry_point_chars: int

    @classmethod
    def load(cls, path: str | Path = DECONTAMINATION_RULES) -> DecontaminationRules:
        data = load_rule_file(path)
        ngram = require(data, "ngram", int, path)
        if not 1 <= ngram <= 64:
            raise RuleFileError(f"{path}: 'ngram' must be between 1 and 64, got {ngram}")
        return cls(
            ngram, require(data, "humaneval", bool, path), tuple(require(data, "id_fields", list, path)),
            frozenset(require(data, "skip_fields", list, path)), tuple(require(data, "entry_point_fields", list, path)),
            require(data, "min_entry_point_chars", int, path),
        )
