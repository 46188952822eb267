"""web_pages: the HTML pages of a web dump's WARC files, with host, registered domain and charset."""

from codelake.web_pages.rules import WebIngestRules
from codelake.web_pages.schema import WEB_PAGES_SCHEMA
from codelake.web_pages.stage import WebDumpError, run_web_pages

__all__ = ["WEB_PAGES_SCHEMA", "WebDumpError", "WebIngestRules", "run_web_pages"]
