"""A corpus table of real files (this interpreter's standard library) in the shape of code_corpus:
the doc metadata columns plus text, two dumps, written in two Delta versions."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa

from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.schemas import DOC_METADATA_FIELDS

CORPUS_SCHEMA = pa.schema(DOC_METADATA_FIELDS + [pa.field("text", pa.large_string())])
STDLIB = Path(os.__file__).parent


def corpus_rows(dump: str, limit: int, offset: int = 0) -> list[dict]:
    files = sorted(p for p in STDLIB.glob("*.py") if p.stat().st_size < 40_000)[offset : offset + limit]
    rows = []
    for i, f in enumerate(files):
        text = f.read_text(encoding="utf-8", errors="replace")
        rows.append({
            "doc_id": doc_id(dump, "python/cpython", f.name), "dump": dump, "repo": "python/cpython", "path": f.name,
            "language": "Python", "size": len(text.encode()), "sha256": f"{i:064x}", "stars": 100 + i,
            "commit_time": dt.datetime(2024, 1, 1 + i % 28, tzinfo=dt.timezone.utc), "text": text,
        })
    return rows


def write_corpus(lake: Lake, table: str = "code_corpus", first: int = 40, second: int = 30) -> list[dict]:
    """Version 0 holds dump d1 (`first` files); version 1 adds dump d2 (`second` files). Returns every row."""
    v0 = corpus_rows("d1", first)
    v1 = corpus_rows("d2", second, offset=first)
    lake.write(table, [pa.RecordBatch.from_pylist(v0, schema=CORPUS_SCHEMA)], CORPUS_SCHEMA, partition_by=["dump"], replace_where={"dump": "d1"})
    lake.write(table, [pa.RecordBatch.from_pylist(v1, schema=CORPUS_SCHEMA)], CORPUS_SCHEMA, partition_by=["dump"], replace_where={"dump": "d2"})
    return v0 + v1
