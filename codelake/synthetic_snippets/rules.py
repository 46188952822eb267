"""rules/annealing/snippets.yaml: what is mined, what the LLM is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

SNIPPET_RULES = RULES_DIR / "annealing" / "snippets.yaml"


def _positive(data: dict, key: str, where: str) -> int:
    value = require(data, key, int, where)
    if value < 1:
        raise RuleFileError(f"{where}: '{key}' must be at least 1, got {value!r}")
    return value


@dataclass(frozen=True)
class SnippetRules:
    path: Path
    mined_languages: frozenset[str]
    max_function_chars: int
    max_candidates: int
    prompt: str
    max_seeds: int
    samples_per_seed: int
    seed_chars: int
    min_asserts: int

    @classmethod
    def load(cls, path: str | Path = SNIPPET_RULES) -> SnippetRules:
        path = Path(path)
        data = load_rule_file(path)
        mined = require(data, "mined", dict, path)
        llm = require(data, "llm", dict, path)
        languages = require(mined, "languages", list, f"{path}: mined")
        if languages != ["Python"]:
            raise RuleFileError(f"{path}: mined.languages: only [Python] can be mined and run (got {languages!r})")
        return cls(
            path=path,
            mined_languages=frozenset(languages),
            max_function_chars=_positive(mined, "max_function_chars", f"{path}: mined"),
            max_candidates=_positive(mined, "max_candidates", f"{path}: mined"),
            prompt=require(llm, "prompt", str, f"{path}: llm"),
            max_seeds=_positive(llm, "max_seeds", f"{path}: llm"),
            samples_per_seed=_positive(llm, "samples_per_seed", f"{path}: llm"),
            seed_chars=_positive(llm, "seed_chars", f"{path}: llm"),
            min_asserts=_positive(llm, "min_asserts", f"{path}: llm"),
        )
