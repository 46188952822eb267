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
    if mixture.total_tokens:
        total = float(mixture.total_tokens)
    else:
        # The size at which the richest share (tokens per unit of weight) is read exactly once.
        total = max(p.estimated_tokens / p.effective_weight for p in plans)
        if mixture.scarce_shares == "renormalize":
            for _ in range(10):  # a capped share moves weight to the others: rescale until the richest reads once
                _fill(plans, total, mixture.max_repeat, renormalize=True)
                free = [p for p in plans if p.target_tokens < p.estimated_tokens * mixture.max_repeat - 1e-6]
                richest = min((p.target_tokens / p.estimated_tokens for p in free), default=1.0)  # its epochs
                if abs(richest - 1.0) < 1e-9:
                    break
                total /= richest
    total = _fill(plans, total, mixture.max_repeat, renormalize=mixture.scarce_shares == "renormalize")
    for p in plans:
        if p.target_tokens >= p.estimated_tokens * mixture.max_repeat - 1e-6 and p.effective_weight * total > p.target_tokens + 1e-6:
            notes.append(
                f"share {p.name!r} holds ~{p.estimated_tokens:.0f} tokens: at most max_repeat {mixture.max_repeat:g} epochs, "
                f"{100 * p.target_tokens / total:.2f}% of the mixture instead of {100 * p.effective_weight:.2f}%"
                + ("; the other shares are renormalized" if mixture.scarce_shares == "renormalize" else "")
            )
    return MixturePlan(plans, total, notes)


def _fill(plans: list[SharePlan], total: float, max_repeat: float, renormalize: bool) -> float:
    """Set each share's target for a mixture of `total` tokens; returns the total actually planned.

    renormalize: a share that cannot reach its weight within `max_repeat` epochs gives all it has and its
    weight goes to the others in proportion (water-filling). Otherwise the whole mixture shrinks until the
    scarcest share fits, keeping every share at its weight."""
    capacity = {p.name: p.estimated_tokens * max_repeat for p in plans}
    if not renormalize:
        total = min(total, min(capacity[p.name] / p.effective_weight for p in plans))
        for p in plans:
            p.target_tokens = p.effective_weight * total
        return total
    remaining, budget = list(plans), total
    while remaining:
        weight = sum(p.effective_weight for p in remaining)
        capped = [p for p in remaining if p.effective_weight / weight * budget > capacity[p.name]]
        if not capped:
            for p in remaining:
                p.target_tokens = p.effective_weight / weight * budget
            break
        for p in capped:
            p.target_tokens = capacity[p.name]
            budget -= capacity[p.name]
            remaining.remove(p)
    return sum(p.target_tokens for p in plans)
