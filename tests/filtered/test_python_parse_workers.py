"""filter_signals parses Python files in worker processes: the same signals as one `ast.parse` per file here."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from codelake.filtered.signals_python import python_ast_counts
from codelake.filtered.stage import _signals_of, compute_signals_parallel

STDLIB = Path(os.__file__).parent


def _stdlib_batches(batch_rows: int = 150) -> list[pa.RecordBatch]:
    """Every 12th file of this interpreter's standard library, plus lib2to3's Python 2 test data (files
    `ast` refuses), as filter_signals reads them from `transformed`."""
    paths = sorted(STDLIB.rglob("*.py"))[::12] + sorted((STDLIB / "lib2to3" / "tests" / "data").rglob("*.py"))
    rows = []
    for i, path in enumerate(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        rows.append({"doc_id": f"{i:032x}", "dump": "d", "repo": "python/stdlib", "path": str(path.relative_to(STDLIB)),
                     "language": "Python", "size": len(text.encode()), "text": text})
    table = pa.Table.from_pylist(rows)
    return table.to_batches(max_chunksize=batch_rows)


def test_worker_processes_give_the_signals_of_one_parse_per_file_here(capsys):
    batches = _stdlib_batches()
    here = pa.concat_tables([_signals_of(b) for b in batches])  # one thread, ast in this process
    workers = pa.concat_tables(list(compute_signals_parallel(iter(batches), workers=2)))  # threads + parse processes
    assert workers.num_rows == here.num_rows > 300
    python = [c for c in here.column_names if c.startswith("qsc_codepython_")]
    differ = sum(
        1 for a, b in zip(here.select(["doc_id", *python]).to_pylist(), workers.select(["doc_id", *python]).to_pylist()) if a != b
    )
    texts = {r["doc_id"]: r["text"] for b in batches for r in b.select(["doc_id", "text"]).to_pylist()}
    parses = {d: python_ast_counts(t) is not None for d, t in texts.items()}
    refused = sum(1 for ok in parses.values() if not ok)
    with capsys.disabled():
        print(f"\npython signals: {here.num_rows} standard-library files compared (ast refuses {refused}), {differ} differed")
    assert differ == 0
    assert refused > 0  # the Python 2 files are in the comparison
    assert dict(zip(workers.column("doc_id").to_pylist(), workers.column("qsc_codepython_cate_ast").to_pylist())) == parses
