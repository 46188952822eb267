"""Decontamination: word n-gram overlap and entry-point match against benchmarks (HumanEval and the benchmarks landing zone)."""

from codelake.decontamination.benchmarks import BenchmarkItem, BenchmarkSet, load_benchmarks
from codelake.decontamination.index import ContaminationIndex, Match
from codelake.decontamination.rules import DECONTAMINATION_RULES, DecontaminationRules, default_benchmarks_landing

__all__ = [
    "DECONTAMINATION_RULES", "BenchmarkItem", "BenchmarkSet", "ContaminationIndex", "DecontaminationRules", "Match",
    "default_benchmarks_landing", "load_benchmarks",
]
