"""Fuzzy dedup parameters: presets from rules/fuzzy_dedup.yaml, validated with errors naming the file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR

FUZZY_RULES = RULES_DIR / "fuzzy_dedup.yaml"
_METHODS = ("oph", "permutation")


@dataclass(frozen=True)
class FuzzyParams:
    preset: str
    num_perm: int
    bands: int
    rows: int
    ngram: int
    method: str
    seed: int
    verify_threshold: float | None = None  # keep an LSH candidate pair only at this estimated Jaccard or above

    def fingerprint(self) -> str:
        """Identifies signatures and band keys computed with these parameters (not the preset's name)."""
        values = {k: v for k, v in asdict(self).items() if k not in ("preset", "verify_threshold")}
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def _int(entry: dict, key: str, where: str, minimum: int = 1) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise RuleFileError(f"{where}: '{key}' must be an integer >= {minimum}, got {value!r}")
    return value


def load_preset(name: str | None = None, path: str | Path = FUZZY_RULES) -> FuzzyParams:
    data = load_rule_file(path)
    presets = data.get("presets")
    if not isinstance(presets, dict) or not presets:
        raise RuleFileError(f"{path}: 'presets' must be a non-empty mapping")
    name = name or data.get("default_preset")
    if name not in presets:
        raise RuleFileError(f"{path}: unknown preset {name!r}; known: {sorted(presets)}")
    entry, where = presets[name], f"{path}: preset {name!r}"
    num_perm = _int(entry, "num_perm", where)
    if "candidate_threshold" in entry:
        threshold = entry["candidate_threshold"]
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 < threshold < 1:
            raise RuleFileError(f"{where}: 'candidate_threshold' must be between 0 and 1, got {threshold!r}")
        from codelake.fuzzy_dedup.lsh import optimal_bands_rows

        bands, rows = optimal_bands_rows(float(threshold), num_perm)
    else:
        bands, rows = _int(entry, "bands", where), _int(entry, "rows", where)
    if bands * rows > num_perm:
        raise RuleFileError(f"{where}: bands * rows = {bands * rows} exceeds num_perm = {num_perm}")
    method = entry.get("method", "oph")
    if method not in _METHODS:
        raise RuleFileError(f"{where}: 'method' must be one of {_METHODS}, got {method!r}")
    verify = entry.get("verify_threshold")
    if verify is not None and (not isinstance(verify, (int, float)) or isinstance(verify, bool) or not 0 < verify <= 1):
        raise RuleFileError(f"{where}: 'verify_threshold' must be in (0, 1], got {verify!r}")
    return FuzzyParams(
        name, num_perm, bands, rows, _int(entry, "ngram", where), method, _int(entry, "seed", where, 0),
        None if verify is None else float(verify),
    )
