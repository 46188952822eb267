"""Whole-lake stages commit only the rows whose decision changed.

exact_dedup and fuzzy_dedup decide survivors over every dump at once (a new dump may hold a better copy
of an old file), so they recompute the whole decision, over the key columns only. What they *write* is
the difference: the new decision (table rows and lineage rows) is spooled to local disk, compared in
DuckDB with what the table and the stage's lineage hold, and a file whose rows (survivor metadata,
copies or cluster size, drop reason and detail) differ in any column is withdrawn and written again,
through the same one-commit machinery as the per-file stages (codelake.lake.increments): data files
holding none of those files stay as they are, and so do their lineage rows and version stamps. A dump
sharing nothing with the lake adds its own files and touches no earlier dump's file.

The first run (no table yet) and a table of another schema are written whole.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc

from codelake.lake.increments import _KEYS, Increment, _held, commit_increment, dump_generations
from codelake.lake.lineage import LINEAGE_TABLE, LineageSpool
from codelake.lake.sql import DuckDBSettings
from codelake.lake.tables import Lake

WHOLE_LAKE_FINGERPRINT = ""  # the diff itself decides what changes: no fingerprint, never a full redo for a rule change


def commit_changed_rows(lake: Lake, lineage: LineageSpool, rows: Iterable[pa.RecordBatch], schema: pa.Schema) -> tuple[int, int, dict]:
    """Commit the stage's whole decision (`rows` of `schema`, partitioned by dump, and `lineage`'s rows),
    writing only what differs from the table and lineage it holds. Returns (table version, lineage version,
    the increment summary: files re-decided and withdrawn, data files rewritten)."""
    stage = lineage.stage
    full = not lake.exists(stage) or not _same_schema(pa.schema(lake.table(stage).schema().to_arrow()), schema)
    if full:
        increment = Increment(stage, True, WHOLE_LAKE_FINGERPRINT, dump_generations(lake), _EMPTY_KEYS, _EMPTY_IDS)
        return (*commit_increment(lake, increment, lineage, rows, schema), increment.summary())
    fd, wanted_path = tempfile.mkstemp(prefix=f"{stage}-decided-", suffix=".arrow")
    os.close(fd)
    changed_lineage = LineageSpool(stage)
    try:
        with pa.OSFile(wanted_path, "wb") as sink, ipc.new_file(sink, schema) as writer:
            for batch in rows:
                writer.write_batch(batch.cast(schema))
        increment, changed_rows = _diff(lake, stage, schema, wanted_path, lineage, changed_lineage)
        versions = commit_increment(lake, increment, changed_lineage, changed_rows, schema)
        return (*versions, increment.summary())
    finally:
        lineage.discard()
        changed_lineage.discard()
        os.unlink(wanted_path)


_EMPTY_KEYS = _KEYS.empty_table()  # the (doc_id, dump) keys an increment decides
_EMPTY_IDS = pa.table({"doc_id": pa.array([], pa.string())})


def _same_schema(held: pa.Schema, wanted: pa.Schema) -> bool:
    return [(f.name, str(f.type).replace("large_", "")) for f in held] == [(f.name, str(f.type).replace("large_", "")) for f in wanted]


def _as_text(names: list[str]) -> str:
    return ", ".join(f'CAST("{n}" AS VARCHAR) AS "{n}"' for n in names)


def _diff(lake: Lake, stage: str, schema: pa.Schema, wanted_path: str, lineage: LineageSpool,
          changed_lineage: LineageSpool) -> tuple[Increment, list[pa.RecordBatch]]:
    """The increment (files whose table or lineage rows differ; those held before are withdrawn) and the
    new decision's table rows of those files; their lineage rows go to `changed_lineage`."""
    import pyarrow.dataset as ds

    table_version = lake.version(stage)
    wanted = ds.dataset(wanted_path, format="ipc")
    wanted_lineage = ds.dataset(lineage.spooled_path(), format="ipc")
    lineage_columns = wanted_lineage.schema.names
    con = duckdb.connect(":memory:", config=DuckDBSettings().config())  # Arrow datasets only: no Delta extension to load
    try:
        con.register("wanted_table", wanted)
        con.register("held_table", lake.dataset(stage))
        con.register("wanted_lineage", wanted_lineage)
        if lake.exists(LINEAGE_TABLE):  # rows a crashed run stamped past the table's version are not held
            con.register("held_lineage", lake.dataset(LINEAGE_TABLE).filter((ds.field("stage") == stage) & (ds.field("version") <= table_version)))
        else:
            con.register("held_lineage", wanted_lineage.to_table().slice(0, 0))
        t, lc = _as_text(schema.names), _as_text(lineage_columns)
        con.execute(f"""CREATE TEMP TABLE changed AS
            SELECT doc_id FROM (SELECT {t} FROM wanted_table EXCEPT SELECT {t} FROM held_table)
            UNION SELECT doc_id FROM (SELECT {t} FROM held_table EXCEPT SELECT {t} FROM wanted_table)
            UNION SELECT doc_id FROM (SELECT {lc} FROM wanted_lineage EXCEPT SELECT {lc} FROM held_lineage)
            UNION SELECT doc_id FROM (SELECT {lc} FROM held_lineage EXCEPT SELECT {lc} FROM wanted_lineage)""")
        new = con.execute("""SELECT doc_id, dump FROM wanted_table WHERE doc_id IN (SELECT doc_id FROM changed)
                             UNION SELECT doc_id, dump FROM wanted_lineage WHERE doc_id IN (SELECT doc_id FROM changed)""").to_arrow_table()
        gone = con.execute("""SELECT doc_id FROM changed WHERE doc_id IN (SELECT doc_id FROM held_table)
                              OR doc_id IN (SELECT doc_id FROM held_lineage)""").to_arrow_table()
        changed = con.execute("SELECT doc_id FROM changed").to_arrow_table().column("doc_id").cast(pa.string()).combine_chunks()  # 0 chunks would type it null
    finally:
        con.close()
    in_changed = ds.field("doc_id").isin(changed)
    for batch in wanted_lineage.to_batches(filter=in_changed):
        changed_lineage.record_batch(batch)
    changed_rows = wanted.to_table(filter=in_changed).to_batches()
    held = _held(lake, stage)
    held_lineage = _held(lake, LINEAGE_TABLE, ds.field("stage") == stage, extra=("action", "version"))
    increment = Increment(stage, False, WHOLE_LAKE_FINGERPRINT, dump_generations(lake), new.cast(_KEYS),
                          gone.cast(_EMPTY_IDS.schema), [], table_version, held, held_lineage)
    return increment, changed_rows
