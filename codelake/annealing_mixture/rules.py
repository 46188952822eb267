"""rules/annealing/mixture.yaml: the shared mixture format (codelake.pretrain_shards.mixture) plus the
annealing mixture's own keys: tokens_per_byte and per-share `without`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.pretrain_shards.mixture import MixtureSpec
from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

ANNEALING_MIXTURE_RULES = RULES_DIR / "annealing" / "mixture.yaml"


@dataclass(frozen=True)
class AnnealingMixture:
    spec: MixtureSpec
    tokens_per_byte: float
    without: dict[str, tuple[str, ...]]  # share -> tables whose doc ids are left out of it

    @property
    def path(self) -> Path:
        return self.spec.path

    @classmethod
    def load(cls, path: str | Path = ANNEALING_MIXTURE_RULES) -> AnnealingMixture:
        path = Path(path)
        spec = MixtureSpec.load(path)
        data = load_rule_file(path)
        tokens_per_byte = require(data, "tokens_per_byte", (int, float), path)
        if tokens_per_byte <= 0:
            raise RuleFileError(f"{path}: 'tokens_per_byte' must be positive, got {tokens_per_byte!r}")
        without = {}
        for name, share in data["shares"].items():
            tables = share.get("without", [])
            if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
                raise RuleFileError(f"{path}: share {name!r}: 'without' must be a list of table names")
            without[name] = tuple(tables)
        for share in spec.shares:
            for source in share.sources:
                if source.path:
                    raise RuleFileError(f"{path}: share {share.name!r}: annealing_mixture reads lake tables only, not {source.path!r}")
        return cls(spec, float(tokens_per_byte), without)
