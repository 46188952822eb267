"""rules/training/mixture.yaml (and annealing.yaml): token shares, their sources, FIM and repo-level rates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

PRETRAIN_MIXTURE = RULES_DIR / "training" / "mixture.yaml"
ANNEALING_MIXTURE = RULES_DIR / "training" / "annealing.yaml"


def _fraction(value: object, where: str, allow_zero: bool = True) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (0 <= value <= 1) or (not allow_zero and value == 0):
        raise RuleFileError(f"{where} must be a number in {'[0' if allow_zero else '(0'}, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SourceSpec:
    table: str | None = None
    path: str | None = None
    optional: bool = False

    @property
    def name(self) -> str:
        return self.table or str(self.path)


@dataclass(frozen=True)
class ShareSpec:
    name: str
    weight: float
    sources: tuple[SourceSpec, ...]
    optional: bool = False
    first_available: bool = False


@dataclass(frozen=True)
class FimSpec:
    rate: float
    spm_rate: float
    shares: frozenset[str]


@dataclass(frozen=True)
class RepoLevelSpec:
    rate: float
    max_files: int
    shares: frozenset[str]


@dataclass(frozen=True)
class MixtureSpec:
    path: Path
    seed: int
    max_repeat: float
    total_tokens: int | None
    max_tokens_per_document: int
    min_chars: int
    shard_tokens: int
    shares: tuple[ShareSpec, ...]
    fim: FimSpec
    repo_level: RepoLevelSpec
    scarce_shares: str = "renormalize"  # or "shrink": see rules/training/mixture.yaml

    @classmethod
    def load(cls, path: str | Path = PRETRAIN_MIXTURE) -> "MixtureSpec":
        path = Path(path)
        data = load_rule_file(path)
        shares_data = require(data, "shares", dict, path)
        if not shares_data:
            raise RuleFileError(f"{path}: 'shares' is empty")
        shares = tuple(_share(name, spec, path) for name, spec in shares_data.items())
        names = {s.name for s in shares}
        total = sum(s.weight for s in shares)
        if abs(total - 1.0) > 1e-6:
            raise RuleFileError(f"{path}: share weights sum to {total:g}, not 1")
        fim = require(data, "fim", dict, path)
        repo = require(data, "repo_level", dict, path)
        for section, spec in (("fim", fim), ("repo_level", repo)):
            unknown = set(spec.get("shares", [])) - names
            if unknown:
                raise RuleFileError(f"{path}: {section}.shares names unknown shares {sorted(unknown)}")
        total_tokens = data.get("total_tokens")
        if total_tokens is not None and (not isinstance(total_tokens, int) or total_tokens <= 0):
            raise RuleFileError(f"{path}: 'total_tokens' must be a positive integer or null")
        scarce = data.get("scarce_shares", "renormalize")
        if scarce not in ("renormalize", "shrink"):
            raise RuleFileError(f"{path}: 'scarce_shares' must be renormalize or shrink, got {scarce!r}")
        max_repeat = require(data, "max_repeat", (int, float), path)
        if max_repeat < 1:
            raise RuleFileError(f"{path}: 'max_repeat' must be at least 1, got {max_repeat}")
        return cls(
            path=path,
            seed=require(data, "seed", int, path),
            max_repeat=float(max_repeat),
            total_tokens=total_tokens,
            max_tokens_per_document=require(data, "max_tokens_per_document", int, path),
            min_chars=require(data, "min_chars", int, path),
            shard_tokens=require(data, "shard_tokens", int, path),
            shares=shares,
            fim=FimSpec(
                _fraction(fim.get("rate", 0), f"{path}: fim.rate"),
                _fraction(fim.get("spm_rate", 0), f"{path}: fim.spm_rate"),
                frozenset(fim.get("shares", [])),
            ),
            scarce_shares=scarce,
            repo_level=RepoLevelSpec(
                _fraction(repo.get("rate", 0), f"{path}: repo_level.rate"),
                int(repo.get("max_files", 64)),
                frozenset(repo.get("shares", [])),
            ),
        )


def _share(name: str, spec: object, path: Path) -> ShareSpec:
    where = f"{path}: share {name!r}"
    if not isinstance(spec, dict):
        raise RuleFileError(f"{where} must be a mapping with weight and sources")
    sources = spec.get("sources")
    if not isinstance(sources, list) or not sources:
        raise RuleFileError(f"{where} needs a non-empty 'sources' list")
    parsed = []
    for source in sources:
        if not isinstance(source, dict) or ("table" in source) == ("path" in source):
            raise RuleFileError(f"{where}: each source is {{table: NAME}} or {{path: FILE_OR_DIR}}, got {source!r}")
        parsed.append(SourceSpec(table=source.get("table"), path=source.get("path"), optional=bool(source.get("optional", False))))
    use = spec.get("use", "all")
    if use not in ("all", "first_available"):
        raise RuleFileError(f"{where}: 'use' must be all or first_available, got {use!r}")
    return ShareSpec(
        name=name,
        weight=_fraction(spec.get("weight"), f"{where}: weight", allow_zero=False),
        sources=tuple(parsed),
        optional=bool(spec.get("optional", False)),
        first_available=use == "first_available",
    )
