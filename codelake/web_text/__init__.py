"""web_text: main text, title and language of the newest fetch of every URL, duplicates removed."""

from codelake.web_text.rules import WebTextRules
from codelake.web_text.schema import WEB_TEXT_SCHEMA
from codelake.web_text.stage import run_web_text

__all__ = ["WEB_TEXT_SCHEMA", "WebTextRules", "run_web_text"]
