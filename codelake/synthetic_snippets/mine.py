"""Mining self-contained Python functions that carry their own tests from a source file.

A candidate is a top-level, undecorated function whose docstring holds doctest examples, or that the
file's own top-level `test_*` functions call. It is self-contained when the function (and its doctest
examples or test functions) reads no name but builtins, its own, and names imported at the top of the
file from the standard library (the sandbox's interpreter sees nothing else). The snippet is those
imports plus the function (plus its test functions); the program run in the sandbox is the snippet plus
a runner that fails when any test fails or none ran.
"""

from __future__ import annotations

import ast
import doctest
import re
from dataclasses import dataclass

from codelake.synthetic_snippets.names import BUILTINS, bound_and_loaded, import_bindings, non_stdlib
from codelake.python_ast import parse_python

DOCTEST_RUNNER = """

if __name__ == "__main__":
    import doctest as _doctest
    import sys as _sys
    _result = _doctest.testmod()
    _sys.exit(1 if _result.failed or not _result.attempted else 0)
"""


@dataclass(frozen=True)
class Candidate:
    name: str
    kind: str  # doctest | unit_test
    snippet: str  # imports + function (+ its test functions): the training text
    program: str  # what runs in the sandbox
    tests: int  # doctest examples, or test functions
    reject: str | None = None  # why it is not run: not_self_contained, non_stdlib_import, too_long
    reject_detail: str = ""


# Lines as the parser counts them (\n, \r\n or \r; not str.splitlines, which also splits at \f and \x1c).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _statement_source(lines: list[str], node: ast.stmt) -> str:
    """A top-level statement's whole lines (ast.get_source_segment re-splits the file on every call)."""
    return "".join(lines[node.lineno - 1 : node.end_lineno]).rstrip()


def unit_test_runner(tests: list[str]) -> str:
    calls = "\n".join(f"    {name}()" for name in tests)
    return f'\n\nif __name__ == "__main__":\n{calls}\n'


def _top_level_imports(tree: ast.Module) -> dict[str, ast.Import | ast.ImportFrom]:
    imports = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in import_bindings(node):
                imports[name] = node
    return imports


def _doctest_examples(docstring: str) -> list[doctest.Example]:
    try:
        return doctest.DocTestParser().get_examples(docstring)
    except ValueError:  # malformed doctest (bad indentation of a continuation line)
        return []


def _example_nodes(examples: list[doctest.Example]) -> list[ast.AST] | None:
    nodes = []
    for example in examples:
        try:
            nodes.append(parse_python(example.source))
        except SyntaxError:
            return None
    return nodes


def _test_functions(tree: ast.Module, name: str) -> list[ast.FunctionDef]:
    """Top-level `test_*` functions without parameters that call `name`."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test") and not node.decorator_list and not node.args.args:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node)):
                found.append(node)
    return found


def mine_candidates(text: str, max_function_chars: int = 4000) -> list[Candidate]:
    """Every candidate of one file, runnable or with the reason it is not."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    lines = _LINE.findall(text)
    imports = _top_level_imports(tree)
    future = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    candidates = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("test"):
            continue
        docstring = ast.get_docstring(node, clean=False) or ""
        examples = _doctest_examples(docstring) if ">>>" in docstring else []
        tests = [] if examples else _test_functions(tree, node.name)
        if not examples and not tests:
            continue
        kind = "doctest" if examples else "unit_test"
        candidates.append(_candidate(lines, node, kind, examples, tests, imports, future, max_function_chars))
    return candidates


def _candidate(lines, node, kind, examples, tests, imports, future, max_chars) -> Candidate:
    name = node.name
    count = len(examples) if examples else len(tests)

    def rejected(reason: str, detail: str) -> Candidate:
        return Candidate(name, kind, "", "", count, reason, detail)

    if node.decorator_list:
        return rejected("not_self_contained", "decorated: the decorator's effect is not part of the snippet")
    pieces = [node, *tests]
    if examples:
        example_nodes = _example_nodes(examples)
        if example_nodes is None:
            return rejected("not_self_contained", "a doctest example is not valid Python")
        pieces += example_nodes
    bound, loaded, escapes = bound_and_loaded(pieces)
    if escapes:
        return rejected("not_self_contained", "uses global/nonlocal state")
    free = loaded - bound - BUILTINS - set(imports) - {name}
    if free:
        return rejected("not_self_contained", "reads names defined elsewhere in its file: " + ", ".join(sorted(free)[:6]))
    needed = [imports[n] for n in sorted(loaded & set(imports) - bound)]
    example_imports = [n for p in pieces[1 + len(tests):] for n in ast.walk(p) if isinstance(n, (ast.Import, ast.ImportFrom))]
    outside = sorted({m for imp in [*needed, *example_imports] for m in non_stdlib(imp)})
    if outside:
        return rejected("non_stdlib_import", "needs " + ", ".join(outside[:6]) + " (the sandbox has the standard library only)")
    header = []
    for imp in [*future, *needed]:
        line = _statement_source(lines, imp)
        if line not in header:
            header.append(line)
    body = [_statement_source(lines, n) for n in [node, *tests]]
    snippet = ("\n".join(header) + "\n\n\n" if header else "") + "\n\n\n".join(body) + "\n"
    if len(snippet) > max_chars:
        return rejected("too_long", f"{len(snippet)} characters > max_function_chars {max_chars}")
    runner = DOCTEST_RUNNER if examples else unit_test_runner([t.name for t in tests])
    return Candidate(name, kind, snippet, snippet + runner, count)
