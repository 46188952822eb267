"""fuzzy_dedup: near-duplicate files (MinHash + LSH at file level) keep one survivor per cluster."""

from codelake.fuzzy_dedup.config import FuzzyParams, load_preset
from codelake.fuzzy_dedup.stage import FUZZY_DEDUP_SCHEMA, run_fuzzy_dedup

__all__ = ["FUZZY_DEDUP_SCHEMA", "FuzzyParams", "load_preset", "run_fuzzy_dedup"]
