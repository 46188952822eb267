"""`ast.parse` that is safe on threads: every parse in codelake goes through here.

CPython 3.11's AST constructor keeps one recursion-depth counter per interpreter, so two threads parsing
at once can fail with "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905). One
lock serializes codelake's own parses (a parse holds the GIL anyway: no parallelism is lost); a parse
that still collides with one outside codelake (a library's, on another thread) is retried once.
"""

from __future__ import annotations

import ast
import threading
import warnings

_LOCK = threading.Lock()


def parse_python(source: str | bytes) -> ast.Module:
    """`ast.parse(source)` with SyntaxWarnings silenced (old code's invalid escapes); raises what ast raises."""
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except SystemError:
            return ast.parse(source)
