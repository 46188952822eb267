"""code_web_recall: three fastText recall rounds with domain discovery and URL-pattern rules."""

from codelake.web_recall.rules import RECALL_DIR, RecallRules
from codelake.web_recall.schema import CODE_WEB_RECALL_SCHEMA, RECALL_ROUNDS_TABLE
from codelake.web_recall.stage import run_code_web_recall

__all__ = ["CODE_WEB_RECALL_SCHEMA", "RECALL_DIR", "RECALL_ROUNDS_TABLE", "RecallRules", "run_code_web_recall"]
