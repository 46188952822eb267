"""Shard files of bounded size: a writer per format and the splitter that starts a new file before one
would pass its row or byte budget."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class ShardLimits:
    max_rows: int
    max_bytes: int  # of row data (the text, id and metadata as written); a single larger row gets a file of its own

    def __post_init__(self):
        if self.max_rows < 1 or self.max_bytes < 1:
            raise ValueError(f"shard limits must be positive: max_rows={self.max_rows}, max_bytes={self.max_bytes}")


def shard_slices(sizes: np.ndarray, rows_in_file: int, bytes_in_file: int, limits: ShardLimits) -> Iterator[tuple[int, int, bool]]:
    """Cut a batch whose rows weigh `sizes` bytes into (start, stop, close_file_after) pieces, given what
    the open file already holds. Pure, so the tests can check the budget directly."""
    start, n = 0, len(sizes)
    while start < n:
        room_rows = limits.max_rows - rows_in_file
        cumulative = np.cumsum(sizes[start : start + room_rows])
        fit = int(np.searchsorted(cumulative, limits.max_bytes - bytes_in_file, side="right"))
        if fit == 0:
            if rows_in_file:  # this row would overflow the open file: close it, retry in a fresh one
                yield start, start, True
                rows_in_file = bytes_in_file = 0
                continue
            fit = 1  # a row larger than the budget on its own
        stop = start + fit
        rows_in_file += fit
        bytes_in_file += int(cumulative[fit - 1])
        full = rows_in_file >= limits.max_rows or stop < n or bytes_in_file >= limits.max_bytes
        yield start, stop, full
        if full:
            rows_in_file = bytes_in_file = 0
        start = stop


class ParquetShard:
    suffix = "parquet"

    def __init__(self, path: Path, schema: pa.Schema):
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


class JsonlShard:
    """One JSON object per line; the rows arrive serialized by DuckDB's to_json, newline included (column
    `line`), so a batch's lines are one contiguous slice of the Arrow data buffer, written without a copy."""

    suffix = "jsonl"

    def __init__(self, path: Path, schema: pa.Schema):
        self._file = open(path, "wb")

    def write(self, batch: pa.RecordBatch) -> None:
        lines = batch.column("line")
        if len(lines) == 0:
            return
        if lines.null_count:
            raise ValueError("a JSONL row serialized to NULL")
        width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
        offsets = np.frombuffer(lines.buffers()[1], dtype=width)[lines.offset : lines.offset + len(lines) + 1]
        self._file.write(memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])])

    def close(self) -> None:
        self._file.close()


WRITERS = {"parquet": ParquetShard, "jsonl": JsonlShard}
