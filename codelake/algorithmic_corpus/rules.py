"""rules/annealing/algorithmic.yaml: the signals that make a file algorithmic, and their weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from codelake.languages.table import TYPES
from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

ALGORITHMIC_RULES = RULES_DIR / "annealing" / "algorithmic.yaml"


@dataclass(frozen=True)
class AlgorithmicRule:
    name: str
    pattern: str
    weight: float
    min_matches: int = 1
    languages: frozenset[str] | None = None  # None: every candidate language


@dataclass(frozen=True)
class AlgorithmicRules:
    path: Path
    select_at: float
    language_types: frozenset[str]
    rules: tuple[AlgorithmicRule, ...]

    @classmethod
    def load(cls, path: str | Path = ALGORITHMIC_RULES) -> AlgorithmicRules:
        path = Path(path)
        data = load_rule_file(path)
        select_at = require(data, "select_at", (int, float), path)
        if select_at <= 0:
            raise RuleFileError(f"{path}: 'select_at' must be positive, got {select_at!r}")
        types = require(data, "language_types", list, path)
        if not types or set(types) - TYPES:
            raise RuleFileError(f"{path}: 'language_types' must name some of {sorted(TYPES)}, got {types!r}")
        entries = require(data, "rules", list, path)
        if not entries:
            raise RuleFileError(f"{path}: 'rules' is empty")
        rules, names = [], set()
        for i, entry in enumerate(entries):
            rule = _rule(entry, f"{path}: rules[{i}]")
            if rule.name in names:
                raise RuleFileError(f"{path}: rule {rule.name!r} is defined twice")
            names.add(rule.name)
            rules.append(rule)
        return cls(path, float(select_at), frozenset(types), tuple(rules))


def _rule(entry: object, where: str) -> AlgorithmicRule:
    if not isinstance(entry, dict):
        raise RuleFileError(f"{where}: must be a mapping with name, pattern and weight")
    unknown = set(entry) - {"name", "pattern", "weight", "min_matches", "languages"}
    if unknown:
        raise RuleFileError(f"{where}: unknown keys {sorted(unknown)}")
    name = require(entry, "name", str, where)
    where = f"{where} ({name})"
    pattern = require(entry, "pattern", str, where)
    try:
        pl.Series([""]).str.count_matches(pattern)
    except pl.exceptions.PolarsError as err:
        raise RuleFileError(f"{where}: pattern does not compile: {str(err).splitlines()[0]}") from err
    weight = require(entry, "weight", (int, float), where)
    if weight <= 0:
        raise RuleFileError(f"{where}: 'weight' must be positive, got {weight!r}")
    min_matches = entry.get("min_matches", 1)
    if not isinstance(min_matches, int) or isinstance(min_matches, bool) or min_matches < 1:
        raise RuleFileError(f"{where}: 'min_matches' must be an integer >= 1, got {min_matches!r}")
    languages = entry.get("languages")
    if languages is not None and (not isinstance(languages, list) or not all(isinstance(x, str) for x in languages)):
        raise RuleFileError(f"{where}: 'languages' must be a list of language names")
    return AlgorithmicRule(name, pattern, float(weight), min_matches, frozenset(languages) if languages else None)
