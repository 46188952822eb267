"""Which answers carry tests, and the program that runs them in the sandbox.

An answer carries tests when the record brings them (a `tests` / `test_list` field) or when its Python
code holds top-level `assert` statements or `test_*` functions. The program is the answer's Python blocks
in order, then the record's tests, then a call of every argument-free `test_*` function: it passes when
it exits 0 within the sandbox's limits.
"""

from __future__ import annotations

import ast
from codelake.python_ast import parse_python


def _test_functions(tree: ast.Module) -> list[str]:
    return [
        node.name for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")
        and not node.args.args and not node.args.posonlyargs and not node.args.kwonlyargs and not isinstance(node, ast.AsyncFunctionDef)
    ]


def checking_program(python_blocks: list[str], record_tests: list[str]) -> str | None:
    """The program checking an answer, or None when it carries no tests (blocks must already parse)."""
    code = "\n\n".join(python_blocks)
    try:
        tree = parse_python(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    asserts = any(isinstance(node, ast.Assert) for node in tree.body)
    calls = _test_functions(tree)
    if not (record_tests or asserts or calls):
        return None
    parts = [code, *record_tests, *(f"{name}()" for name in calls)]
    return "\n\n".join(parts) + "\n"
