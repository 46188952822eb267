"""Python parse benchmark: what filter_signals' `qsc_codepython_*` counts cost per MB, and the candidates.

    python -m bench.python_parse [--max-mb 20] [--repeats 2]

The corpus: this interpreter's standard library, then the virtualenv's packages, `.py` files read as
UTF-8, at most --max-mb (the Python side of bench/pipeline's corpus). Each candidate parses every file
in this process and is timed in CPU seconds (the machine is shared: wall time would measure the
neighbours); candidates alternate, `--repeats` rounds, the fastest round counts.

* `ast.parse` -- CPython's parser building the AST, the collector running as usual;
* `counts, collector on` -- `python_ast_counts` per file, as filter_signals did before;
* `counts, collector paused` -- `python_counts_many`, what filter_signals runs in its worker processes;
* `tree-sitter parse` -- tree-sitter-python's parse alone (no counting: a lower bound for that route).

It also checks that the paused-collector counts equal the per-file ones on every file.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import warnings
from pathlib import Path

from codelake.filtered.signals_python import python_ast_counts, python_counts_many

MB = 1e6


def python_texts(max_mb: float) -> list[str]:
    roots = [Path(os.__file__).parent] + sorted(Path(p) for p in sys.path if p.endswith("site-packages"))
    texts: list[str] = []
    budget = max_mb * MB
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            size = len(text.encode())
            if size > budget:
                return texts
            texts.append(text)
            budget -= size
    return texts


def _ast_parse_each(texts: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for text in texts:
            try:
                ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass


def _tree_sitter_each(texts: list[str]) -> None:
    from tree_sitter_language_pack import get_parser

    parser = get_parser("python")
    for text in texts:
        parser.parse(text.encode())


CANDIDATES = {
    "ast.parse": _ast_parse_each,
    "counts, collector on": lambda texts: [python_ast_counts(t) for t in texts],
    "counts, collector paused": python_counts_many,
    "tree-sitter parse": _tree_sitter_each,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.python_parse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-mb", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    texts = python_texts(args.max_mb)
    mb = sum(len(t.encode()) for t in texts) / MB
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, run in CANDIDATES.items():
            start = time.process_time()
            run(texts)
            best[name] = min(best.get(name, float("inf")), time.process_time() - start)
    differ = sum(1 for a, b in zip(python_counts_many(texts), (python_ast_counts(t) for t in texts)) if a != b)
    print(f"{len(texts)} Python files, {mb:.1f} MB; load average {os.getloadavg()[0]:.1f}")
    base = best["ast.parse"]
    for name, seconds in best.items():
        print(f"  {name:26s} {seconds:6.2f} s CPU  {mb / seconds:5.1f} MB/s  {base / seconds:4.2f}x ast.parse")
    print(f"paused-collector counts vs per-file counts: {len(texts)} files compared, {differ} differed")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
