"""Which algorithmic rules fire on a batch of files, and the score they add up to (vectorized: one Polars
regex pass over the batch's texts per rule)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from codelake.algorithmic_corpus.rules import AlgorithmicRules


def fired_rules(texts: pa.Array, languages: list[str], candidates: np.ndarray, rules: AlgorithmicRules) -> dict[str, np.ndarray]:
    """rule name -> boolean mask of the files (among `candidates`) where it fires."""
    series = pl.Series(texts).fill_null("")
    fired = {}
    for rule in rules.rules:
        applies = candidates if rule.languages is None else candidates & np.array([lang in rule.languages for lang in languages], dtype=bool)
        if not applies.any():
            fired[rule.name] = np.zeros(len(languages), dtype=bool)
            continue
        counts = series.str.count_matches(rule.pattern).fill_null(0).to_numpy()
        fired[rule.name] = applies & (counts >= rule.min_matches)
    return fired


def scores(fired: dict[str, np.ndarray], rules: AlgorithmicRules, n: int) -> np.ndarray:
    total = np.zeros(n, dtype=float)
    for rule in rules.rules:
        total += rule.weight * fired[rule.name]
    return total
