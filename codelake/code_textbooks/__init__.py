"""code_textbooks: LLM-written textbook passages from seed topics and algorithmic code, deduplicated."""

from codelake.code_textbooks.rules import TEXTBOOK_RULES, TextbookRules
from codelake.code_textbooks.stage import TEXTBOOKS_SCHEMA, run_code_textbooks

__all__ = ["TEXTBOOKS_SCHEMA", "TEXTBOOK_RULES", "TextbookRules", "run_code_textbooks"]
