"""exact_dedup over the whole lake: files with equal SHA-256 keep one survivor across all dumps.

Decided in one DuckDB query over `raw_files`' key columns only (never the text), so it costs
O(files), spills to disk past its memory limit, and is recomputed whole when a dump arrives: a new
dump holding a better copy (more stars, newer commit) takes over, and the copy kept before is
dropped in the new version, its lineage naming the new survivor. Only the rows whose decision
changed are written (codelake.lake.changed_rows). The table holds the kept files'
keys and metadata; their text stays in `raw_files`, joined by doc_id (no copy of the corpus).
"""

from __future__ import annotations

import pyarrow as pa

from codelake.exact_dedup.survivors import SurvivorOrder, rank_copies
from codelake.lake import Lake, LineageSpool
from codelake.lake.changed_rows import commit_changed_rows
from codelake.lake.sql import ConnectionFactory, connect, delta_scan
from codelake.lifecycle.optout import OPTOUT_REASON, OptOutList
from codelake.report import StageReport
from codelake.schemas import DOC_METADATA_FIELDS

STAGE = "exact_dedup"
UPSTREAM = "raw_files"

EXACT_DEDUP_SCHEMA = pa.schema(
    DOC_METADATA_FIELDS + [pa.field("copies", pa.int64())]  # how many files in the lake share this content
)

_SOURCE = "(SELECT doc_id, dump, repo, path, language, size, sha256, stars, commit_time FROM {scan} WHERE doc_id NOT IN (SELECT doc_id FROM opted_out))"


def run_exact_dedup(
    lake: Lake,
    order: SurvivorOrder | None = None,
    batch_rows: int = 100_000,
    upstream_version: int | None = None,
    source: Lake | None = None,
    connections: ConnectionFactory | None = None,
    optout: OptOutList | None = None,
) -> StageReport:
    """Decide survivors over `raw_files` of `source` (default: `lake`) and commit the result to `lake`;
    the window query runs on a connection from `connections` (default: codelake.lake.sql's settings).
    Files an opt-out request covers (default: the current list) are dropped first, as `opted_out`, so a
    copy nobody asked to remove survives in their place."""
    order = order or SurvivorOrder.load()
    optout = OptOutList.load() if optout is None else optout
    source = source or lake
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    con = connect(lake, connections=connections)
    try:
        if not source.exists(UPSTREAM):
            raise FileNotFoundError(f"{source.table_path(UPSTREAM)}: no raw_files table yet; ingest a dump first")
        scan = delta_scan(source, UPSTREAM, upstream_version)
        _drop_opted_out(con, scan, optout, lineage, report)
        rank_copies(con, _SOURCE.format(scan=scan), order)
        for language, is_survivor, n, b in con.execute(
            "SELECT language, rank = 1, count(*), sum(size) FROM ranked GROUP BY ALL"
        ).fetchall():
            if is_survivor:
                report.rows_by_language[language] += n
                report.bytes_by_language[language] += int(b)
                report.rows_kept += n
                report.bytes_kept += int(b)
            else:
                report.drops_by_reason["exact_duplicate"] += n
                report.bytes_dropped_by_reason["exact_duplicate"] += int(b)
            report.rows_in += n
            report.bytes_in += int(b)
        dropped = con.execute(
            """SELECT doc_id, 'drop' AS action, 'exact_duplicate' AS reason,
                      json_object('survivor', survivor_id, 'survivor_repo', survivor_repo,
                                  'survivor_path', survivor_path, 'survivor_dump', survivor_dump,
                                  'sha256', sha256)::VARCHAR AS detail,
                      dump, repo, path
               FROM ranked WHERE rank > 1 ORDER BY doc_id"""
        ).to_arrow_reader(batch_rows)
        for batch in dropped:
            lineage.record_batch(batch)
        kept = con.execute(
            f"SELECT {', '.join(EXACT_DEDUP_SCHEMA.names)} FROM ranked WHERE rank = 1 ORDER BY dump, doc_id"
        ).to_arrow_reader(batch_rows)
        batches = (b.cast(EXACT_DEDUP_SCHEMA) for b in kept)
        report.version, report.lineage_version, increment = commit_changed_rows(lake, lineage, batches, EXACT_DEDUP_SCHEMA)
        report.tables["increment"] = [increment]
    finally:
        lineage.discard()
        con.close()
    return report


def _drop_opted_out(con, scan: str, optout: OptOutList, lineage: LineageSpool, report: StageReport) -> None:
    """Table `opted_out` of the ingested files a request covers (read before the request, or ingested
    by another tool), each recorded as a lineage drop naming the request."""
    request_id = optout.sql_request_id(text="text" if optout.needs_text else None)
    con.execute(
        f"CREATE TEMP TABLE opted_out AS SELECT * FROM (SELECT doc_id, dump, repo, path, size, {request_id} AS request FROM {scan})"
        " WHERE request IS NOT NULL"
    )
    for doc, dump, repo, path, size, request in con.execute("SELECT * FROM opted_out ORDER BY doc_id").fetchall():
        lineage.record(doc, "drop", OPTOUT_REASON, optout.by_id(request).detail, dump, repo, path)
        report.dropped(OPTOUT_REASON, int(size))
