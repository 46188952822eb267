"""synthetic_snippets: Python functions with tests (mined from the corpus or written by an LLM), kept only
when their tests pass in the sandbox."""

from codelake.synthetic_snippets.rules import SNIPPET_RULES, SnippetRules
from codelake.synthetic_snippets.stage import SNIPPETS_SCHEMA, SnippetRun, run_synthetic_snippets

__all__ = ["SNIPPETS_SCHEMA", "SNIPPET_RULES", "SnippetRules", "SnippetRun", "run_synthetic_snippets"]
