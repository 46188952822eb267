"""rules/mixture.yaml: per-language keep rates, and the deterministic per-file draw."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR

MIXTURE_RULES = RULES_DIR / "mixture.yaml"


def _rate(value: object, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
        raise RuleFileError(f"{where} must be a keep rate in (0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Mixture:
    seed: int
    default: float
    rates: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = MIXTURE_RULES) -> "Mixture":
        data = load_rule_file(path)
        seed = data.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise RuleFileError(f"{path}: 'seed' must be an integer")
        rates = data.get("rates") or {}
        if not isinstance(rates, dict):
            raise RuleFileError(f"{path}: 'rates' must map language names to keep rates")
        return cls(
            seed,
            _rate(data.get("default", 1.0), f"{path}: 'default'"),
            {str(lang): _rate(rate, f"{path}: rate of {lang!r}") for lang, rate in rates.items()},
        )

    def rate(self, language: str) -> float:
        return self.rates.get(language, self.default)

    def draws(self, doc_ids: list[str]) -> np.ndarray:
        """A uniform number in [0, 1) per doc id, fixed by (seed, doc_id): the same file always draws the same."""
        prefix = f"{self.seed}\0".encode()
        raw = b"".join(hashlib.blake2b(prefix + d.encode(), digest_size=8).digest() for d in doc_ids)
        return np.frombuffer(raw, dtype="<u8") / float(1 << 64)

    def keep(self, doc_ids: list[str], languages: list[str]) -> np.ndarray:
        rates = np.array([self.rate(lang) for lang in languages], dtype=float)
        return self.draws(doc_ids) < rates
