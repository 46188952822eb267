"""A code_corpus lake of real files on this machine (this interpreter's standard library and site-packages),
repeated `scale` times under new ids: the corpus of the SQL/export and tokenize benchmarks."""

from __future__ import annotations

import datetime as dt
import os
import sysconfig
from pathlib import Path

import pyarrow as pa

from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.schemas import DOC_METADATA_FIELDS

DUMPS = 4
SCHEMA = pa.schema(DOC_METADATA_FIELDS + [pa.field("text", pa.large_string())])


def corpus_files(limit: int) -> list[Path]:
    roots = [Path(os.__file__).parent, Path(sysconfig.get_paths()["purelib"])]
    files = sorted({p for root in roots for p in root.rglob("*.py") if p.is_file() and p.stat().st_size < 500_000})
    return files[:limit]


def build_lake(root: Path, files: list[Path], scale: int) -> tuple[Lake, int]:
    """A code_corpus table of `files` repeated `scale` times; returns the lake and its text bytes."""
    lake = Lake(root / "lake")
    texts = [(f, f.read_text(encoding="utf-8", errors="replace")) for f in files]
    total = [0]

    def batches():
        for copy in range(scale):
            rows = []
            for i, (f, text) in enumerate(texts):
                # Four dumps at every scale, as a lake gathers them: scale N has N times the rows per dump, not
                # more dumps (DuckDB reads files in parallel, so a single-file 1x lake would understate 1x's memory).
                dump, repo = f"bench{i % DUMPS}", f"{f.parent.name}-{copy}"
                size = len(text.encode())
                total[0] += size
                rows.append({"doc_id": doc_id(dump, repo, str(f)), "dump": dump, "repo": repo, "path": str(f), "language": "Python",
                             "size": size, "sha256": f"{i:064x}", "stars": i % 1000,
                             "commit_time": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), "text": text})
                if len(rows) == 1000:
                    yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
                    rows = []
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)

    lake.write("code_corpus", batches(), SCHEMA, partition_by=["dump"])
    return lake, total[0]
