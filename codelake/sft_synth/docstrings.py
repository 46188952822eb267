"""(b) docstring -> function pairs: a top-level Python function with a docstring becomes "write a
function `name(signature)` that <docstring>" answered by the function's source."""

from __future__ import annotations

import ast
import warnings

from codelake.sft_synth.rules import SynthRules
from codelake.sft_synth.samples import seeded_rank, synth_row
from codelake.python_ast import parse_python


def docstring_samples(file: dict, rules: SynthRules) -> tuple[list[dict], str | None]:
    cfg = rules.docstring
    if len(file["text"]) > rules.fim["max_file_bytes"]:
        return [], "file_too_large"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = parse_python(file["text"])
    except (SyntaxError, ValueError, RecursionError):
        return [], "unparsable_file"
    lines = file["text"].split("\n")
    candidates = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith("_"):
            continue
        doc = ast.get_docstring(node)
        if not doc or len(doc) < cfg["min_doc_chars"]:
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        source = "\n".join(lines[first - 1: node.end_lineno])
        if len(source) > cfg["max_function_chars"]:
            continue
        candidates.append((seeded_rank(rules.seed, file["doc_id"], node.name), node, doc, source, first))
    if not candidates:
        return [], "no_documented_function"
    samples = []
    for _, node, doc, source, first in sorted(candidates, key=lambda c: c[0])[: cfg["per_file"]]:
        signature = f"{node.name}({ast.unparse(node.args)})" + (f" -> {ast.unparse(node.returns)}" if node.returns else "")
        user = f"Write a Python function `{signature}` that does the following:\n\n{doc}"
        answer = f"```python\n{source}\n```"
        samples.append(synth_row("docstring", file, f"L{first}-{node.end_lineno}:{node.name}", cfg["stage"], "python", user, answer))
    return samples, None
