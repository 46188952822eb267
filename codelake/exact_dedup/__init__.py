"""exact_dedup: one survivor per SHA-256 across every dump ingested so far."""

from codelake.exact_dedup.stage import EXACT_DEDUP_SCHEMA, run_exact_dedup
from codelake.exact_dedup.survivors import SurvivorOrder

__all__ = ["EXACT_DEDUP_SCHEMA", "SurvivorOrder", "run_exact_dedup"]
