"""`codelake export`: a corpus table's kept rows as files that HF `datasets` and datatrove read directly.

Layout (the Hugging Face Hub's, so `load_dataset(DIR)` finds the split by itself):

    DIR/manifest.json                              written last: table, Delta version, files, counts
    DIR/data/train-00000-of-00003.parquet          id, text, metadata (a struct of every other column)
    DIR/data/train-00000-of-00003.jsonl            {"id": …, "text": …, "metadata": {…}} per line

`id`/`text`/`metadata` are datatrove's Document fields (its readers take `metadata` as the document's
metadata). The table is pinned to one Delta version (the newest, or `version`) and read in storage
order by an Arrow scanner reading one batch ahead; DuckDB shapes each batch (the metadata struct,
the JSON lines) and the batch is written before the next is read, so memory does not grow with the
table. (A DuckDB query streamed through `to_arrow_reader` runs ahead of its reader and buffers up to
the whole result: measured, 280 MB more at the first batch of a 257 MB table.) A file is closed
before it would pass `max_rows` rows or `max_bytes` bytes of row data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pds

from codelake import __version__
from codelake.export.shards import WRITERS, ShardLimits, shard_slices
from codelake.lake import Lake
from codelake.lake.sql import ConnectionFactory, DuckDBSettings

MANIFEST = "manifest.json"
DATA_DIR = "data"
SPLIT = "train"


class ExportError(ValueError):
    """The export cannot start (unknown table, no text column, a folder holding other files)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(source: str, columns: list[str], id_column: str, text_column: str, file_format: str) -> str:
    others = [c for c in columns if c not in (id_column, text_column)]
    metadata = f"struct_pack({', '.join(f'{_quote(c)} := {_quote(c)}' for c in others)})" if others else "NULL"
    row = f"{_quote(id_column)}::VARCHAR AS id, {_quote(text_column)} AS text, {metadata} AS metadata"
    if file_format == "jsonl":
        # DuckDB serializes the row (escaping, timestamps as text); the line's bytes are its size exactly.
        return f"SELECT line, strlen(line) AS row_bytes FROM (SELECT to_json(r)::VARCHAR || chr(10) AS line FROM (SELECT {row} FROM {source}) r)"
    size = f"strlen({_quote(text_column)}) + strlen({_quote(id_column)}::VARCHAR)"
    if others:
        size += f" + strlen(to_json({metadata})::VARCHAR)"
    return f"SELECT {row}, {size} AS row_bytes FROM {source}"


def _prepare(to: Path, overwrite: bool) -> None:
    """`to` must be new or empty, or, with `overwrite`, hold only an earlier export (which is removed)."""
    if not to.exists():
        return
    if not to.is_dir():
        raise ExportError(f"{to}: not a directory")
    entries = sorted(p.name for p in to.iterdir())
    if not entries:
        return
    if not overwrite:
        raise ExportError(f"{to}: not empty ({', '.join(entries[:5])}); pass --overwrite to replace an earlier export there")
    data = to / DATA_DIR
    foreign = [e for e in entries if e not in (MANIFEST, DATA_DIR)]
    if data.is_dir():
        foreign += [f"{DATA_DIR}/{p.name}" for p in data.iterdir() if not p.name.startswith((f"{SPLIT}-", ".part-"))]
    if foreign:
        raise ExportError(f"{to}: holds files that are not an export ({', '.join(foreign[:5])}); refusing to overwrite")
    (to / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(data, ignore_errors=True)


def export_table(
    lake: Lake,
    table: str,
    to: str | Path,
    file_format: str = "parquet",
    version: int | None = None,
    max_rows: int = 100_000,
    max_bytes: int = 256 * 10**6,
    id_column: str = "doc_id",
    text_column: str = "text",
    overwrite: bool = False,
    batch_rows: int = 1000,
    connections: ConnectionFactory | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Write `table` (at `version`, default its newest) into `to`; returns the manifest."""
    if file_format not in WRITERS:
        raise ExportError(f"unknown format {file_format!r}: one of {sorted(WRITERS)}")
    limits = ShardLimits(max_rows, max_bytes)
    if not lake.exists(table):
        raise ExportError(f"{lake.table_path(table)}: no such table in the lake")
    version = lake.version(table) if version is None else int(version)
    to = Path(to)
    dataset = lake.dataset(table, version)
    columns = dataset.schema.names
    missing = [c for c in (id_column, text_column) if c not in columns]
    if missing:
        raise ExportError(
            f"{table} (version {version}) has no {' or '.join(repr(c) for c in missing)} column: export a table holding "
            f"documents (code_corpus, filtered, transformed, raw_files, …) or name the columns with --id-column/--text-column"
        )
    _prepare(to, overwrite)
    data = to / DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    con = (connections or DuckDBSettings().open)()
    try:
        con.execute("SET arrow_large_buffer_size = true")  # a batch of long files may pass 2 GB of text
        con.execute("SET TimeZone = 'UTC'")  # timestamps written the same whatever the machine's zone
        con.execute("SET allocator_flush_threshold = '16MB'")
        shape = _select("batch", columns, id_column, text_column, file_format)
        scanned = dataset.scanner(
            columns=columns, batch_size=batch_rows, batch_readahead=1, fragment_readahead=1, use_threads=False,
            fragment_scan_options=pds.ParquetFragmentScanOptions(pre_buffer=False),
        ).to_batches()
        parts = _write_shards(_shaped(con, shape, scanned), data, WRITERS[file_format], limits, progress)
    finally:
        con.close()
    files = []
    for i, (part, rows, nbytes) in enumerate(parts):
        final = data / f"{SPLIT}-{i:05d}-of-{len(parts):05d}.{WRITERS[file_format].suffix}"
        os.replace(part, final)
        files.append({"path": f"{DATA_DIR}/{final.name}", "rows": rows, "row_bytes": nbytes, "file_bytes": final.stat().st_size})
    manifest = {
        "table": table,
        "delta_version": version,
        "lake": str(lake.root.resolve()),
        "format": file_format,
        "columns": {"id": id_column, "text": text_column, "metadata": [c for c in columns if c not in (id_column, text_column)]},
        "rows": sum(f["rows"] for f in files),
        "row_bytes": sum(f["row_bytes"] for f in files),
        "max_rows_per_file": max_rows,
        "max_bytes_per_file": max_bytes,
        "files": files,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "codelake_version": __version__,
    }
    scratch = to / f".{MANIFEST}.tmp"
    scratch.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(scratch, to / MANIFEST)  # last: a folder with a manifest holds a complete export
    return manifest


def _shaped(con, shape: str, batches) -> Iterator[pa.RecordBatch]:
    """Each scanned batch through DuckDB's `shape` query (over the view `batch`), one at a time."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        con.register("batch", pa.Table.from_batches([batch]))
        try:
            yield from con.execute(shape).to_arrow_table().to_batches()
        finally:
            con.unregister("batch")


def _write_shards(batches: Iterator[pa.RecordBatch], data: Path, writer_cls, limits: ShardLimits, progress) -> list[tuple[Path, int, int]]:
    """Stream `batches` into part files; returns (path, rows, row bytes) of each."""
    parts: list[tuple[Path, int, int]] = []
    schema = None
    writer, rows, nbytes, total = None, 0, 0, 0
    for batch in batches:
        schema = schema or pa.schema([f for f in batch.schema if f.name != "row_bytes"])
        sizes = batch.column("row_bytes").to_numpy(zero_copy_only=False)
        body = batch.select(schema.names)
        for start, stop, close in shard_slices(sizes, rows, nbytes, limits):
            if stop > start:
                if writer is None:
                    path = data / f".part-{len(parts):05d}.{writer_cls.suffix}"
                    writer = writer_cls(path, schema)
                writer.write(body.slice(start, stop - start))
                rows += stop - start
                nbytes += int(pc.sum(batch.column("row_bytes").slice(start, stop - start)).as_py() or 0)
            if close and writer is not None:
                writer.close()
                parts.append((path, rows, nbytes))
                writer, rows, nbytes = None, 0, 0
        total += batch.num_rows
        if progress:
            progress(total)
    if writer is not None:
        writer.close()
        parts.append((path, rows, nbytes))
    return parts
