"""An LLM's answer to the snippet prompt, turned into a program with tests (or the reason it is not one)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from codelake.synthetic_snippets.mine import unit_test_runner
from codelake.synthetic_snippets.names import non_stdlib
from codelake.python_ast import parse_python

_CODE_BLOCK = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class GeneratedSnippet:
    snippet: str  # the answer's code: the training text
    program: str  # snippet + a runner calling every top-level test_* function
    name: str  # the first non-test function
    tests: int  # assert statements
    reject: str | None = None  # no_code_block | syntax_error | no_function | no_tests | non_stdlib_import
    reject_detail: str = ""


def parse_answer(answer: str, min_asserts: int) -> GeneratedSnippet:
    def rejected(reason: str, detail: str, name: str = "", tests: int = 0) -> GeneratedSnippet:
        return GeneratedSnippet("", "", name, tests, reason, detail)

    blocks = _CODE_BLOCK.findall(answer)
    if not blocks:
        return rejected("no_code_block", f"no ```python block in the answer ({len(answer)} characters)")
    code = max(blocks, key=len).strip() + "\n"
    try:
        tree = parse_python(code)
    except SyntaxError as err:
        return rejected("syntax_error", f"line {err.lineno}: {err.msg}")
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("test")]
    if not functions:
        return rejected("no_function", "no top-level function besides tests")
    name = functions[0].name
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test") and not n.args.args]
    # only asserts that run count: in the tests the runner calls, or at module level (not in other functions)
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    asserts = sum(isinstance(n, ast.Assert) for root in [*tests, *top] for n in ast.walk(root))
    if asserts < min_asserts:
        return rejected("no_tests", f"{asserts} assert statements < min_asserts {min_asserts}", name, asserts)
    outside = sorted({m for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for m in non_stdlib(n)})
    if outside:
        return rejected("non_stdlib_import", "needs " + ", ".join(outside[:6]) + " (the sandbox has the standard library only)", name, asserts)
    runner = unit_test_runner([t.name for t in tests]) if tests else ""
    return GeneratedSnippet(code, code + runner, name, asserts)
