"""How many tokens each share gets: weights renormalized over the shares present, the total from the
scarcest share (or `total_tokens`), and each source's sampling rate (below 1: a random subset; above 1:
whole repeats plus a random subset, at most `max_repeat`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codelake.lake import Lake
from codelake.pretrain_shards.mixture import MixtureSpec
from codelake.pretrain_shards.sources import Source, SourceError, resolve


@dataclass
class SharePlan:
    name: str
    weight: float  # the rule file's weight
    effective_weight: float  # after renormalization over the shares present
    sources: list[Source]
    estimated_tokens: float  # of one pass over every source
    target_tokens: float = 0.0

    @property
    def rate(self) -> float:
        return self.target_tokens / self.estimated_tokens if self.estimated_tokens else 0.0


@dataclass
class MixturePlan:
    shares: list[SharePlan]
    total_tokens: float
    notes: list[str] = field(default_factory=list)  # every renormalization or skipped source, said plainly

    @property
    def rows_in(self) -> int:
        return sum(s.rows for share in self.shares for s in share.sources)


def resolve_sources(mixture: MixtureSpec, lake: Lake, home: Path) -> tuple[dict[str, list[Source]], list[str]]:
    """Each share's readable sources. A missing non-optional source is an error naming it."""
    found: dict[str, list[Source]] = {}
    notes: list[str] = []
    for share in mixture.shares:
        sources = []
        for spec in share.sources:
            source = resolve(spec, share.name, lake, home)
            if source is None:
                if not spec.optional:
                    where = f"lake table {spec.table!r}" if spec.table else f"{spec.path} (under {home})"
                    raise SourceError(f"{mixture.path}: share {share.name!r}: source {where} is missing or empty")
                notes.append(f"share {share.name!r}: optional source {spec.name!r} is missing or empty, skipped")
                continue
            sources.append(source)
            if share.first_available:
                break
        if not sources and not share.optional:
            raise SourceError(f"{mixture.path}: share {share.name!r} has no readable source")
        found[share.name] = sources
    return found, notes


def plan_mixture(mixture: MixtureSpec, sources: dict[str, list[Source]], tokens_per_byte: dict[str, float], notes: list[str]) -> MixturePlan:
    """`tokens_per_byte` per source name (measured on a sample) turns text bytes into token estimates."""
    present = [s for s in mixture.shares if sources.get(s.name)]
    if not present:
        raise SourceError(f"{mixture.path}: no share has a readable source")
    weight_present = sum(s.weight for s in present)
    if weight_present < 1 - 1e-9:
        missing = [s.name for s in mixture.shares if s not in present]
        notes.append(
            f"shares {missing} are empty: the others are renormalized by 1/{weight_present:g} "
            + ", ".join(f"{s.name} {s.weight:g}→{s.weight / weight_present:.4g}" for s in present)
        )
    plans = [
        SharePlan(
            s.name,
            s.weight,
            s.weight / weight_present,
            sources[s.name],
            sum(src.estimated_tokens(tokens_per_byte[src.name], mixture.max_tokens_per_document) for src in sources[s.name]),
        )
        for s in present
    ]
    # The most any share can give with its repeats, and the size at which the richest share is read once.
    limit = min(p.estimated_tokens * mixture.max_repeat / p.effective_weight for p in plans)
    one_pass = max(p.estimated_tokens / p.effective_weight for p in plans)
    total = float(mixture.total_tokens) if mixture.total_tokens else min(one_pass, limit)
    if mixture.total_tokens and mixture.total_tokens > limit:
        notes.append(f"total_tokens {mixture.total_tokens} exceeds what max_repeat {mixture.max_repeat:g} allows; using {limit:.0f}")
        total = limit
    for p in plans:
        p.target_tokens = p.effective_weight * total
    return MixturePlan(plans, total, notes)
