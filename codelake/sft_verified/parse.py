"""Does a code block parse? Python with the standard library's `ast`, other languages with tree-sitter.

A Python block written as an interactive session (`>>> ` / `... ` prompts) is judged by its input lines.
tree-sitter parsers come from tree-sitter-language-pack (grammars bundled in the wheel, nothing
downloaded); a parse with an ERROR or MISSING node fails, and the error names its line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tree_sitter_language_pack import get_parser

from codelake.python_ast import parse_python as parse_module

_local = threading.local()


@dataclass(frozen=True)
class ParseResult:
    ok: bool
    error: str | None = None  # "line N: what"


def _session_input(code: str) -> str | None:
    lines = code.split("\n")
    if not any(line.startswith(">>> ") or line == ">>>" for line in lines):
        return None
    return "\n".join(line[4:] for line in lines if line.startswith((">>> ", "... ")) or line in (">>>", "..."))


def parse_python(code: str) -> ParseResult:
    source = _session_input(code) or code
    try:
        parse_module(source)  # thread-safe; invalid escape sequences etc. are warnings, not parse errors
    except SyntaxError as err:
        return ParseResult(False, f"line {err.lineno}: {err.msg}")
    except (ValueError, RecursionError, MemoryError) as err:  # NUL bytes, absurd nesting
        return ParseResult(False, f"{type(err).__name__}: {err}")
    return ParseResult(True)


def _parser(language: str):
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    if language not in parsers:
        parsers[language] = get_parser(language)
    return parsers[language]


def syntax_tree(language: str, code: str):
    """The tree-sitter tree of `code` (a parser per thread and language)."""
    return _parser(language).parse(code.encode("utf-8"))


def _first_error(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            return current
        if current.has_error:
            stack.extend(reversed(current.children))
    return None


def parse_block(language: str, code: str) -> ParseResult:
    if language == "python":
        return parse_python(code)
    try:
        tree = syntax_tree(language, code)
    except (LookupError, ValueError) as err:
        return ParseResult(False, f"no parser for {language}: {err}")
    if not tree.root_node.has_error:
        return ParseResult(True)
    bad = _first_error(tree.root_node) or tree.root_node
    what = f"missing {bad.type}" if bad.is_missing else "syntax error"
    return ParseResult(False, f"line {bad.start_point[0] + 1}: {what}")
