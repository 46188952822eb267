"""Lineage: one row for every input row a stage drops or changes, with the reason.

Rows are spooled to a local Arrow IPC file while a stage streams (memory stays flat however many rows
drop) and committed to the `lineage` Delta table after the stage's own table, stamped with that
table's version. The lineage table is partitioned by stage and dump; a stage replaces its own rows (for its
dump, when partitioned), and earlier decisions stay readable by time travel. An incremental stage
(codelake.lake.increments) adds the rows of the files it decides and removes those of the files it
withdraws, so each row keeps the version that decided it (at most the table's).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from codelake.lake.tables import Lake

LINEAGE_TABLE = "lineage"

LINEAGE_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("stage", pa.string()),
        ("version", pa.int64()),
        ("action", pa.string()),  # "drop" or "change"
        ("reason", pa.string()),
        ("detail", pa.string()),  # free text or JSON: e.g. the survivor of a duplicate
        ("dump", pa.string()),
        ("repo", pa.string()),
        ("path", pa.string()),
    ]
)

_SPOOL_SCHEMA = pa.schema([f for f in LINEAGE_SCHEMA if f.name not in ("stage", "version")])


class LineageSpool:
    """Collects a stage's lineage rows on disk until the stage's table version is known."""

    def __init__(self, stage: str, spool_dir: str | Path | None = None, flush_rows: int = 10_000):
        self.stage = stage
        fd, self._path = tempfile.mkstemp(prefix=f"lineage-{stage}-", suffix=".arrow", dir=spool_dir)
        os.close(fd)
        self._sink = pa.OSFile(self._path, "wb")
        self._writer = ipc.new_file(self._sink, _SPOOL_SCHEMA)
        self._rows: list[tuple] = []
        self._flush_rows = flush_rows
        self.count = 0

    def record(self, doc_id: str, action: str, reason: str, detail: str, dump: str, repo: str, path: str) -> None:
        self._rows.append((doc_id, action, reason, detail, dump, repo, path))
        self.count += 1
        if len(self._rows) >= self._flush_rows:
            self._flush()

    def record_batch(self, batch: pa.RecordBatch) -> None:
        """Add rows already shaped like the spool schema (used by SQL-driven stages)."""
        self._flush()
        self._writer.write_batch(batch.select(_SPOOL_SCHEMA.names).cast(_SPOOL_SCHEMA))
        self.count += batch.num_rows

    def _flush(self) -> None:
        if self._rows:
            columns = list(zip(*self._rows))
            self._writer.write_batch(pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in columns], schema=_SPOOL_SCHEMA))
            self._rows.clear()

    def spooled_path(self) -> str:
        """The spool file, complete (no row can be added after): an Arrow IPC file of the spool schema."""
        self._flush()
        if not self._sink.closed:
            self._writer.close()
            self._sink.close()
        return self._path

    def _stamped_batches(self, version: int) -> Iterator[pa.RecordBatch]:
        with ipc.open_file(self.spooled_path()) as reader:
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                n = batch.num_rows
                arrays = {name: batch.column(name) for name in _SPOOL_SCHEMA.names}
                arrays["stage"] = pa.array([self.stage] * n, pa.string())
                arrays["version"] = pa.array([version] * n, pa.int64())
                yield pa.RecordBatch.from_arrays([arrays[f.name] for f in LINEAGE_SCHEMA], schema=LINEAGE_SCHEMA)

    def commit(self, lake: Lake, version: int, dump: str | None = None) -> int:
        """Replace this stage's lineage (for `dump`, if given) with the spooled rows; one commit."""
        where = {"stage": self.stage}
        if dump is not None:
            where["dump"] = dump
        try:
            return lake.write(LINEAGE_TABLE, self._stamped_batches(version), LINEAGE_SCHEMA, partition_by=["stage", "dump"], replace_where=where)
        finally:
            self.discard()

    def commit_with_table(self, lake: Lake, rows: Iterable[pa.RecordBatch], schema: pa.Schema, dump: str | None = None) -> tuple[int, int]:
        """Write the stage's own table (one commit, partitioned by dump; only `dump`'s partition is
        replaced when given), then this lineage stamped with that table's version. Returns both versions."""
        version = lake.write(self.stage, rows, schema, partition_by=["dump"], replace_where={"dump": dump} if dump else None)
        return version, self.commit(lake, version, dump=dump)

    def discard(self) -> None:
        """Drop the spool file (after a commit, or when the stage failed and nothing is committed)."""
        if not self._sink.closed:
            self._writer.close()
            self._sink.close()
        if os.path.exists(self._path):
            os.unlink(self._path)
