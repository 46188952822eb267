"""Main text of HTML pages with code kept: resiliparse with main-content heuristics and formatting
preserved (a `<pre>` block stays line by line, inline `<code>` stays in its sentence), the whole page
when the heuristics find nothing, the `<title>`, and the language. A pure function over a batch: the
unit of work of a worker process."""

from __future__ import annotations

import hashlib

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from codelake.web_text.language import detect_language
from codelake.web_text.rules import WebTextRules


def main_text(tree: HTMLTree, rules: WebTextRules) -> tuple[str, str]:
    """(text, extractor) of a parsed page: main content with formatting kept, the whole page when that
    finds too little. All a classifier needs of a page; extract_page adds title, language and hash."""
    text = extract_plain_text(tree, main_content=rules.main_content, preserve_formatting=True).strip()
    if len(text) < rules.min_text_chars and rules.main_content and rules.fallback_to_whole_page:
        return extract_plain_text(tree, main_content=False, preserve_formatting=True).strip(), "whole_page_fallback"
    return text, "main_content" if rules.main_content else "whole_page"


def extract_page(html: str, rules: WebTextRules) -> dict:
    tree = HTMLTree.parse(html)
    title = (tree.title or "").strip()
    text, extractor = main_text(tree, rules)
    language, confidence = detect_language(text, rules.language) if text else ("unknown", 0.0)
    data = text.encode("utf-8", "surrogatepass")
    return {
        "title": title,
        "text": text,
        "extractor": extractor,
        "language": language,
        "language_score": confidence,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def extract_batch(args: tuple[list[str], WebTextRules]) -> list[dict]:
    htmls, rules = args
    return [extract_page(html, rules) for html in htmls]
