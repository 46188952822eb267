"""code_web_corpus: the code-related web pages, as training text."""

from codelake.code_web_corpus.stage import CODE_WEB_CORPUS_SCHEMA, run_code_web_corpus

__all__ = ["CODE_WEB_CORPUS_SCHEMA", "run_code_web_corpus"]
