"""sft_verified: answers' code blocks parsed (Python ast, tree-sitter), unparsable samples dropped, tests run in the sandbox."""

from codelake.sft_verified.parse import ParseResult, parse_block
from codelake.sft_verified.stage import run_sft_verified

__all__ = ["ParseResult", "parse_block", "run_sft_verified"]
