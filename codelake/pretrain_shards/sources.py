"""The documents of a mixture source, as Arrow batches of (doc_id, dump, repo, path, language, text).

A source is a lake table with a `text` column (code_corpus, …) or user files: JSONL (`.jsonl`, `.json`)
or Parquet with a `text` column and an optional `id`. A user file's rows get doc ids from (source, file,
id or row number), so the shard index can name them like any lake file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq

from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.pretrain_shards.mixture import SourceSpec

DOC_COLUMNS = ["doc_id", "dump", "repo", "path", "language", "text"]
DOC_SCHEMA = pa.schema([(c, pa.string()) for c in DOC_COLUMNS[:-1]] + [("text", pa.large_string())])
FILE_SUFFIXES = (".jsonl", ".json", ".parquet")


class SourceError(ValueError):
    """A mixture source cannot be read: the message names the source and the problem."""


@dataclass(frozen=True)
class Source:
    """One readable source of a share: where it is, its version, and how many rows and text bytes it has."""

    spec: SourceSpec
    share: str
    text_lengths: np.ndarray  # bytes of each document's text: token estimates per document (long ones are cut)
    table_version: int | None = None
    files: tuple[Path, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.text_lengths)

    @property
    def text_bytes(self) -> int:
        return int(self.text_lengths.sum())

    def estimated_tokens(self, tokens_per_byte: float, max_tokens: int) -> float:
        return float(np.minimum(self.text_lengths * tokens_per_byte, max_tokens).sum())

    @property
    def name(self) -> str:
        return self.spec.name

    def batches(self, lake: Lake, batch_rows: int = 2000) -> Iterator[pa.RecordBatch]:
        if self.spec.table:
            yield from _table_batches(lake, self.spec.table, self.table_version, self.share, batch_rows)
        else:
            for file in self.files:
                yield from _file_batches(file, self.name, self.share, batch_rows)


def resolve(spec: SourceSpec, share: str, lake: Lake, home: Path) -> Source | None:
    """The source with its size, or None when it is missing or empty (the caller decides if that is allowed)."""
    if spec.table:
        if not lake.exists(spec.table):
            return None
        version = lake.version(spec.table)
        dataset = lake.dataset(spec.table, version)
        if "text" not in dataset.schema.names:
            raise SourceError(f"lake table {spec.table!r} has no `text` column: it cannot feed a mixture")
        lengths = _lengths(dataset.to_batches(columns=["text"]))
        return Source(spec, share, lengths, table_version=version) if len(lengths) else None
    root = Path(spec.path)
    root = root if root.is_absolute() else home / root
    if not root.exists():
        return None
    files = tuple(sorted(p for p in root.rglob("*") if p.suffix in FILE_SUFFIXES and p.is_file())) if root.is_dir() else (root,)
    lengths = _lengths(batch for file in files for batch in _file_batches(file, spec.name, share, 4096))
    return Source(spec, share, lengths, files=files) if len(lengths) else None


def _lengths(batches) -> np.ndarray:
    parts = [pc.binary_length(b.column("text")).fill_null(0).to_numpy(zero_copy_only=False) for b in batches]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _column(batch: pa.RecordBatch, name: str, default: str | None) -> pa.Array:
    if name in batch.schema.names:
        return pc.cast(batch.column(name), pa.string())
    return pa.array([default] * batch.num_rows, pa.string())


def _table_batches(lake: Lake, table: str, version: int | None, share: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    dataset = lake.dataset(table, version)
    present = [c for c in DOC_COLUMNS if c in dataset.schema.names]
    for batch in dataset.to_batches(columns=present, batch_size=batch_rows):
        if not batch.num_rows:
            continue
        arrays = [_column(batch, c, {"dump": table, "language": share}.get(c)) for c in DOC_COLUMNS[:-1]]
        yield pa.RecordBatch.from_arrays([*arrays, pc.cast(batch.column("text"), pa.large_string())], schema=DOC_SCHEMA)


def _read_file(file: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    try:
        if file.suffix == ".parquet":
            yield from pq.ParquetFile(file).iter_batches(batch_size=batch_rows)
        else:
            # Strings only: ids may be numbers in one line and strings in another.
            yield from pajson.read_json(file).to_batches(max_chunksize=batch_rows)
    except (pa.ArrowInvalid, OSError) as err:
        raise SourceError(f"{file}: cannot read as {file.suffix[1:]}: {err}") from err


def _file_batches(file: Path, source: str, share: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
    row = 0
    for batch in _read_file(file, batch_rows):
        if "text" not in batch.schema.names:
            raise SourceError(f"{file}: no `text` field (a mixture file needs one per record)")
        n = batch.num_rows
        ids = batch.column("id").to_pylist() if "id" in batch.schema.names else [None] * n
        keys = [str(i) if i is not None else f"row{row + k}" for k, i in enumerate(ids)]
        row += n
        texts = pc.cast(batch.column("text"), pa.large_string())
        yield pa.RecordBatch.from_arrays(
            [
                pa.array([doc_id(f"source:{source}", file.name, key) for key in keys], pa.string()),
                pa.array([f"source:{source}"] * n, pa.string()),
                pa.array([file.name] * n, pa.string()),
                pa.array(keys, pa.string()),
                _column(batch, "language", share),
                texts,
            ],
            schema=DOC_SCHEMA,
        )
