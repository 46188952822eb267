"""annealing_mixture: code_corpus plus the high-quality annealing sets, by token share (rules/annealing/mixture.yaml)."""

from codelake.annealing_mixture.rules import ANNEALING_MIXTURE_RULES, AnnealingMixture
from codelake.annealing_mixture.stage import MIXTURE_SCHEMA, MixtureRun, copy_id, run_annealing_mixture

__all__ = ["ANNEALING_MIXTURE_RULES", "MIXTURE_SCHEMA", "AnnealingMixture", "MixtureRun", "copy_id", "run_annealing_mixture"]
