"""sft_synth: FIM instructions, docstring -> function pairs and (with an LLM) Educational-/Package-Instruct, from code_corpus."""

from codelake.sft_synth.rules import SYNTH_RULES, SynthRules
from codelake.sft_synth.stage import run_sft_synth

__all__ = ["SYNTH_RULES", "SynthRules", "run_sft_synth"]
