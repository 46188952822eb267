"""algorithmic_corpus: code_corpus files selected by algorithmic signals (OpenCoder's annealing set)."""

from codelake.algorithmic_corpus.rules import ALGORITHMIC_RULES, AlgorithmicRule, AlgorithmicRules
from codelake.algorithmic_corpus.stage import run_algorithmic_corpus

__all__ = ["ALGORITHMIC_RULES", "AlgorithmicRule", "AlgorithmicRules", "run_algorithmic_corpus"]
