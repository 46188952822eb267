"""The transformed stage over the lake: fuzzy_dedup's survivors with their text transformed.

Every file is kept; a file whose text changed (header removed, PII or secrets replaced) gets a
lineage row (action "change") with the kinds and counts replaced — never the values. Incremental
(codelake.lake.increments): a run transforms only the survivors it has not transformed yet and
withdraws the files that stopped being survivors, so a new dump costs only its own files. Texts stream
from `raw_files` in batches and are transformed by a pool of worker processes (or Ray tasks: codelake.compute).
"""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable, Iterator
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from codelake.lake import Lake, LineageSpool
from codelake.lake.increments import commit_increment, plan_increment, source_fingerprint, stage_fingerprint, upstream_fingerprint, value_fingerprint
from codelake.lake.sql import connect
from codelake.compute import TableOutput, batch_map
from codelake.report import StageReport
from codelake.schemas import DOC_METADATA_COLUMNS, DOC_METADATA_FIELDS
from codelake.transformed.engine import transform_batch
from codelake.transformed.rules import TransformRules

STAGE = "transformed"
UPSTREAM = "fuzzy_dedup"

# `size` is the transformed text's size; `sha256` stays the original content's (the file's identity).
TRANSFORMED_SCHEMA = pa.schema(DOC_METADATA_FIELDS + [pa.field("text", pa.large_string())])


def transform_fingerprint(lake: Lake, rules: TransformRules) -> str:
    """What a transformed text depends on besides the file: the rules, this package's code, the upstream."""
    return stage_fingerprint(value_fingerprint(rules), source_fingerprint(*Path(__file__).parent.glob("*.py")), upstream_fingerprint(lake, UPSTREAM))


def _transform(batch: pa.RecordBatch, rules: TransformRules) -> tuple[pa.RecordBatch, list[dict]]:
    out, changes = transform_batch(batch, rules)
    sizes = pc.binary_length(pc.cast(out.column("text"), pa.large_binary()))
    out = out.set_column(out.schema.get_field_index("size"), "size", pc.cast(sizes, pa.int64()))
    return out, changes


def run_transformed(
    lake: Lake,
    rules: TransformRules | None = None,
    workers: int = 2,
    batch_rows: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> StageReport:
    rules = rules or TransformRules.load()
    if not lake.exists(UPSTREAM):
        raise FileNotFoundError(f"{lake.table_path(UPSTREAM)}: no {UPSTREAM} table yet; run fuzzy_dedup first")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    changed_kinds: dict[str, int] = {}
    con = connect(lake)
    increment = plan_increment(lake, con, STAGE, UPSTREAM, transform_fingerprint(lake, rules))
    increment.register(con)
    columns = ", ".join(f"u.{c}" for c in DOC_METADATA_COLUMNS)
    # Streamed in storage order: an ORDER BY would sort (hold or spill) every text; row order means nothing.
    # Both sides filtered to the files to transform: raw_files is read only in their dumps' partitions.
    reader = con.execute(
        f"SELECT {columns}, r.text FROM {UPSTREAM} u JOIN raw_files r USING (doc_id) WHERE {increment.where('u')} AND {increment.where('r')}"
    ).to_arrow_reader(batch_rows)

    def transformed() -> Iterator[pa.RecordBatch]:
        work = ((None, batch.cast(TRANSFORMED_SCHEMA)) for batch in reader)
        output = TableOutput.of(lake, STAGE, TRANSFORMED_SCHEMA, ["dump"], part=0, keep=("language", "size"))
        for _, (batch, changes) in batch_map(partial(_transform, rules=rules), work, workers, output=output):
            for change in changes:
                lineage.record(change["doc_id"], change["action"], change["reason"], change["detail"], change["dump"], change["repo"], change["path"])
                for kind, count in json.loads(change["detail"]).items():
                    changed_kinds[kind] = changed_kinds.get(kind, 0) + count
            report.kept_rows(batch)
            if progress:
                progress(report.rows_in, report.bytes_in)
            yield batch

    try:
        report.version, report.lineage_version = commit_increment(lake, increment, lineage, transformed(), TRANSFORMED_SCHEMA)
    finally:
        lineage.discard()
        con.close()
    report.tables["changes"] = [{"kind": k, "replaced": n} for k, n in sorted(changed_kinds.items(), key=lambda kv: -kv[1])]
    report.tables["increment"] = [increment.summary()]
    report.tables["files_changed"] = [{"files": lineage.count, "of": report.rows_in}]
    return report
