"""Rows held in a local Arrow IPC file until a stage has decided which of them to keep (web_pages: the
URL duplicates of a dump; web_text: exact and near duplicates): the input is read once, and memory
holds one batch at a time."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.ipc as ipc


class PageSpool:
    def __init__(self, schema: pa.Schema, batch_rows: int, batch_bytes: int, size_column: str = "payload_bytes"):
        self.schema = schema
        fd, self.path = tempfile.mkstemp(prefix="codelake-web-pages-", suffix=".arrow")
        os.close(fd)
        self._sink = pa.OSFile(self.path, "wb")
        self._writer = ipc.new_file(self._sink, schema)
        self._rows: dict[str, list] = {name: [] for name in schema.names}
        self._bytes = 0
        self._batch_rows, self._batch_bytes = batch_rows, batch_bytes
        self._size_column = size_column

    def add(self, row: dict) -> None:
        for name, column in self._rows.items():
            column.append(row[name])
        self._bytes += row[self._size_column]
        if len(self._rows["doc_id"]) >= self._batch_rows or self._bytes >= self._batch_bytes:
            self._flush()

    def add_batch(self, batch: pa.RecordBatch) -> None:
        self._flush()
        self._writer.write_batch(batch.select(self.schema.names).cast(self.schema))

    def _flush(self) -> None:
        if self._rows["doc_id"]:
            self._writer.write_batch(pa.RecordBatch.from_pydict(self._rows, schema=self.schema))
            self._rows = {name: [] for name in self.schema.names}
            self._bytes = 0

    def batches(self, keep: Callable[[pa.RecordBatch], pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The spooled rows, batch by batch, through `keep` (a filter)."""
        self._flush()
        self._writer.close()
        self._sink.close()
        with pa.memory_map(self.path) as source:
            reader = ipc.open_file(source)
            for i in range(reader.num_record_batches):
                batch = keep(reader.get_batch(i))
                if batch.num_rows:
                    yield batch

    def discard(self) -> None:
        if not self._sink.closed:
            self._writer.close()
            self._sink.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
