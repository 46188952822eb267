"""StageReport -> Dagster materialization metadata and check results (shared by every stage)."""

from __future__ import annotations

from collections import Counter

from collections.abc import Callable

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue

import duckdb

from codelake.checks import conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.lake.catalog import catalog_path, refresh_catalog
from codelake.lake.sql import ConnectionFactory
from codelake.report import StageReport

ROWS_CONSERVED = "rows_conserved"
UNIQUE_DOC_IDS = "unique_doc_ids"


def check_specs(asset_key: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(ROWS_CONSERVED, asset=asset_key, description="rows in = rows kept + rows dropped in the lineage"),
        AssetCheckSpec(UNIQUE_DOC_IDS, asset=asset_key, description="no doc_id twice, and none both kept and dropped"),
    ]


def _table(counts: Counter, sizes: Counter, label: str, limit: int = 40) -> MetadataValue:
    lines = [f"| {label} | rows | MB |", "|---|---:|---:|"]
    for key, n in counts.most_common(limit):
        lines.append(f"| {key} | {n} | {sizes[key] / 1e6:.2f} |")
    if len(counts) > limit:
        lines.append(f"| … {len(counts) - limit} more | {sum(n for _, n in counts.most_common()[limit:])} | |")
    return MetadataValue.md("\n".join(lines) if counts else f"_no {label}s_")


def _rows_table(rows: list[dict]) -> MetadataValue:
    if not rows:
        return MetadataValue.md("_none_")
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    return MetadataValue.md("\n".join(lines))


def _sql_catalog(lake: Lake) -> dict:
    # Every stage's result passes here right after its commit: the one place that sees each new table or
    # schema, whichever way the run was launched (UI, sensor, CLI, daemon or not). The commit has
    # happened, so a catalog that cannot be written is reported, not a failed materialization.
    try:
        return {"sql_catalog": MetadataValue.path(str(refresh_catalog(lake)))}
    except (duckdb.Error, OSError) as err:
        return {"sql_catalog_error": f"{catalog_path(lake)}: {err}"}


def report_metadata(report: StageReport, lake: Lake) -> dict:
    """The materialization's metadata; refreshes the lake's DuckDB catalog file (a view per table) too. An
    incremental stage's counts are this run's files; its row count is still the whole table's."""
    incremental = "increment" in report.tables and report.version is not None
    return {
        **_sql_catalog(lake),
        **{name: _rows_table(rows) for name, rows in report.tables.items()},
        "dagster/row_count": lake.count(report.stage, version=report.version) if incremental else report.rows_kept,
        "rows_in": report.rows_in,
        "rows_kept": report.rows_kept,
        "rows_dropped": report.rows_dropped,
        "mb_in": round(report.bytes_in / 1e6, 3),
        "mb_kept": round(report.bytes_kept / 1e6, 3),
        "delta_version": report.version,
        "lineage_version": report.lineage_version,
        "table_uri": MetadataValue.path(str(lake.table_path(report.stage))),
        "drops_by_reason": _table(report.drops_by_reason, report.bytes_dropped_by_reason, "reason"),
        "rows_by_language": _table(report.rows_by_language, report.bytes_by_language, "language"),
        "languages": len(report.rows_by_language),
    }


def check_results(
    report: StageReport, lake: Lake, rows_in: int, dump: str | None = None, connections: ConnectionFactory | None = None
) -> list[AssetCheckResult]:
    """The conservation and uniqueness checks, recomputed from the committed tables (SQL on `connections`,
    the `duckdb` resource's factory)."""
    counted = conservation(lake, report.stage, report.version, rows_in, dump, connections)
    duplicates = duplicate_doc_ids(lake, report.stage, report.version, connections)
    return [
        AssetCheckResult(
            check_name=ROWS_CONSERVED,
            passed=counted.holds,
            severity=AssetCheckSeverity.ERROR,
            metadata={"rows_in": counted.rows_in, "kept": counted.kept, "dropped": counted.dropped, "version": report.version},
        ),
        AssetCheckResult(
            check_name=UNIQUE_DOC_IDS, passed=duplicates == 0, severity=AssetCheckSeverity.ERROR, metadata={"duplicates": duplicates}
        ),
    ]


def whole_lake_result(
    context: AssetExecutionContext,
    lake: Lake,
    upstream: str,
    run: Callable[[int | None], StageReport],
    connections: ConnectionFactory | None = None,
    **metadata,
) -> MaterializeResult:
    """Run a stage that reads the whole `upstream` table (pinned to its current version), and return
    its metadata and checks: rows in = that version's row count. `connections` opens the checks' DuckDB
    connections (pass the `duckdb` resource's `connection_factory()`)."""
    upstream_version = lake.version(upstream)
    report = run(upstream_version)
    context.log.info(report.summary())
    rows_in = lake.count(upstream, version=upstream_version)
    return MaterializeResult(
        metadata={f"{upstream}_version": upstream_version, **metadata, **report_metadata(report, lake)},
        check_results=check_results(report, lake, rows_in, connections=connections),
    )
