"""Which names a piece of Python reads without defining them: the test for "self-contained"."""

from __future__ import annotations

import ast
import builtins
import sys

BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__builtins__"}
STDLIB = frozenset(sys.stdlib_module_names)


def bound_and_loaded(nodes: list[ast.AST]) -> tuple[set[str], set[str], bool]:
    """(names bound anywhere in `nodes`, names read anywhere, whether a `global`/`nonlocal` appears).

    Scopes are flattened: a name bound in a nested function counts as bound for the whole piece. That
    can call a piece self-contained that is not; running it in the sandbox settles it."""
    bound: set[str] = set()
    loaded: set[str] = set()
    escapes = False
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update(import_bindings(node))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bound.add(node.rest)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                escapes = True
    return bound, loaded, escapes


def import_bindings(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names]
    return [alias.asname or alias.name for alias in node.names if alias.name != "*"]


def imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """Top-level module names an import needs; a relative import is the file's own package ('.')."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    return ["."] if node.level else [(node.module or "").split(".")[0]]


def non_stdlib(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [m for m in imported_modules(node) if m not in STDLIB]
