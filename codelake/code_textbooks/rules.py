"""rules/annealing/textbooks.yaml: topics, code seeds, prompts, length and dedup settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.fuzzy_dedup import FuzzyParams, load_preset
from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

TEXTBOOK_RULES = RULES_DIR / "annealing" / "textbooks.yaml"


@dataclass(frozen=True)
class TextbookRules:
    path: Path
    topics: tuple[str, ...]
    samples_per_topic: int
    max_code_seeds: int
    seed_chars: int
    topic_prompt: str
    code_prompt: str
    min_chars: int
    dedup: FuzzyParams
    dedup_against: tuple[str, ...]

    @classmethod
    def load(cls, path: str | Path = TEXTBOOK_RULES) -> TextbookRules:
        path = Path(path)
        data = load_rule_file(path)
        topics = require(data, "topics", list, path)
        if not all(isinstance(t, str) and t.strip() for t in topics):
            raise RuleFileError(f"{path}: 'topics' must be a list of non-empty strings")
        if len(set(topics)) != len(topics):
            raise RuleFileError(f"{path}: 'topics' lists a topic twice")
        seeds = require(data, "code_seeds", dict, path)
        prompts = require(data, "prompts", dict, path)
        dedup = require(data, "dedup", dict, path)
        against = require(dedup, "against", list, f"{path}: dedup")
        numbers = {
            "samples_per_topic": require(data, "samples_per_topic", int, path),
            "max_code_seeds": require(seeds, "max_seeds", int, f"{path}: code_seeds"),
            "seed_chars": require(seeds, "seed_chars", int, f"{path}: code_seeds"),
            "min_chars": require(data, "min_chars", int, path),
        }
        for key, value in numbers.items():
            if value < (0 if key in ("max_code_seeds", "min_chars") else 1):
                raise RuleFileError(f"{path}: {key} is out of range: {value!r}")
        return cls(
            path=path, topics=tuple(topics), **numbers,
            topic_prompt=require(prompts, "topic", str, f"{path}: prompts"),
            code_prompt=require(prompts, "code", str, f"{path}: prompts"),
            dedup=load_preset(require(dedup, "preset", str, f"{path}: dedup")),
            dedup_against=tuple(str(t) for t in against),
        )
