"""Python parse signals (REFINECODE.md §3.2, `qsc_codepython_`): one parse per Python file.

Shared by the vectorized signal step and the reference: a parse cannot be vectorized, so both pay it.
`python_counts_many` is the unit of work filter_signals sends to its worker processes, off the GIL the
Polars threads need. It parses with the cyclic garbage collector paused: an AST is a tree (no cycles,
freed by reference counting), yet every 700 nodes allocated start a collection that walks the young
trees, and older generations hold the whole imported heap: pausing it makes the parse 1.4x cheaper here
and 1.8x in the workers (bench/python_parse.py). tree-sitter's Python grammar, measured there too, parses
faster alone, but it accepts Python 2 and 3.12 syntax (and recovers from errors) where `ast` refuses, so
"parses or not" would still need CPython's parser, whose cheapest form (`symtable`, no AST objects)
costs 70% of the whole AST parse: tree-sitter on top would cost more than `ast` alone.
"""

from __future__ import annotations

import ast
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from codelake.python_ast import parse_python

# The collector's switch is process-wide: threads parsing at once share one pause (counted), so the first
# to finish cannot re-enable it under another one's parse, nor a late one leave it off for good.
_pause_lock = threading.Lock()
_pausing = 0
_enable_after = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    global _pausing, _enable_after
    with _pause_lock:
        if _pausing == 0:
            _enable_after = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausing -= 1
            if _pausing == 0 and _enable_after:
                gc.enable()


def python_counts_many(texts: list[str]) -> list[dict | None]:
    """`python_ast_counts` of each text, the cyclic collector paused meanwhile (see above)."""
    with _collector_paused():
        return [python_ast_counts(t) for t in texts]


def python_ast_counts(text: str) -> dict | None:
    """Counts from one `ast.parse`; None if the file does not parse with this interpreter's grammar."""
    try:
        tree = parse_python(text)  # thread-safe (codelake.python_ast); filter_signals parses in worker processes
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    defs = simple = classes = class_assigns = 0
    has_var = False
    # The released comment fraction's docstrings: module, class and def (not async def) docstrings as
    # ast.get_docstring cleans them, joined by newlines (utils/code/code_utils.get_docstrings).
    docstrings = [ast.get_docstring(tree)]
    # Every node counted here is a statement, and statements only live in statement lists (bodies of
    # modules, defs, classes, compound statements, handlers and match cases), never inside expressions;
    # walking those lists visits exactly the nodes ast.walk would count, without the expression trees.
    stack = [tree.body]
    while stack:
        for node in stack.pop():
            kind = type(node)
            if kind is ast.FunctionDef:
                docstrings.append(ast.get_docstring(node))
                defs += 1
                if len(node.body) == 1 and type(node.body[0]) is ast.Return:
                    simple += 1
                if node.args.args:
                    has_var = True
            elif kind is ast.ClassDef:
                docstrings.append(ast.get_docstring(node))
                classes += 1
                for stmt in node.body:  # the released filter counts each plain-name target: a = b = 1 is 2
                    if type(stmt) is ast.Assign:
                        class_assigns += sum(type(t) is ast.Name for t in stmt.targets)
                    elif type(stmt) is ast.AnnAssign and type(stmt.target) is ast.Name:
                        class_assigns += 1
            elif kind is ast.Assign:
                if not has_var and any(type(t) is ast.Name for t in node.targets):
                    has_var = True
            elif kind is ast.For:
                if type(node.target) is ast.Name:
                    has_var = True
            for field in _BLOCKS:
                block = getattr(node, field, None)
                if block:
                    if field in ("handlers", "cases"):
                        stack.extend(h.body for h in block)
                    else:
                        stack.append(block)
    docstrings = [d for d in docstrings if d]
    doc_chars = sum(map(len, docstrings)) + max(0, len(docstrings) - 1)
    return {"defs": defs, "simplefunc": simple, "classes": classes, "class_assigns": class_assigns, "var_zero": not has_var,
            "doc_chars": doc_chars}


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
