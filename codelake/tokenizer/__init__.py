"""tokenizer: byte-level BPE over a sample of the pretraining mixture, stored in the lake."""

from codelake.tokenizer.stage import TOKENIZER_TABLE, current_tokenizer, run_tokenizer

__all__ = ["TOKENIZER_TABLE", "current_tokenizer", "run_tokenizer"]
