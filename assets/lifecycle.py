"""Dump lifecycle in Dagster: raw_files over an archived or retired dump, and the `retire_dump` job."""


import getpass
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    Config,
    Failure,
    MaterializeResult,
    OpExecutionContext,
    job,
    op,
)
from pydantic import Field

from assets.metadata import ROWS_CONSERVED, UNIQUE_DOC_IDS, report_metadata
from assets.partitions import code_dumps
from codelake.checks import Conservation, duplicate_doc_ids
from codelake.dumps.landing import locate_dump, retirement_of
from codelake.lake import Lake
from codelake.lifecycle.rebuild import RebuildSettings
from codelake.lifecycle.retire import retire_dump
from codelake.raw_files.archived import ingested_dump, source_gone_message
from resources.lake import LakeResource
from resources.landing_zone import LandingZoneResource


def _check_outcomes(counted: Conservation, duplicates: int, version: int) -> list[tuple[str, bool, dict]]:
    return [
        (ROWS_CONSERVED, counted.holds, {"rows_in": counted.rows_in, "kept": counted.kept, "dropped": counted.dropped, "version": version}),
        (UNIQUE_DOC_IDS, duplicates == 0, {"duplicates": duplicates}),
    ]


def _recorded_rows_in(context: AssetExecutionContext, dump: str) -> int | None:
    """rows_in of this partition's latest materialization (the dump's member count when it was read)."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[dump]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get("rows_in")
    return int(value.value) if value is not None else None


def unavailable_dump_result(context: AssetExecutionContext, lake: Lake, landing: Path) -> MaterializeResult | None:
    """raw_files for a dump that cannot be read again: retired (tombstone), or gone from the landing
    zone after an earlier ingestion (archived). Its rows stay as they are, nothing is written, and the
    checks compare the lake with the count recorded when the dump was read. None: ingest as usual.
    A dump neither landed nor ever ingested is an error (there is nothing to keep)."""
    dump = context.partition_key
    retired = retirement_of(landing, dump)
    if retired is None and locate_dump(landing, dump) is not None:
        return None
    state = ingested_dump(lake, dump)
    if state is None:
        if retired is not None:
            raise FileNotFoundError(f"{landing}: dump {dump!r} was retired and the lake holds nothing of it")
        return None  # never ingested: the usual lookup says what is missing
    if retired is not None:
        status = "retired"
        message = (f"raw_files[{dump}]: dump {dump!r} was retired {retired.get('retired_at', '')} by {retired.get('by', '?')} "
                   f"({retired.get('reason', '?')}); not ingested again, nothing written")
    else:
        status = "source gone"
        message = source_gone_message(dump, str(landing), state)
    context.log.warning(message)
    recorded = _recorded_rows_in(context, dump)
    counted = Conservation(state.rows_in if recorded is None else recorded, state.kept, state.dropped)
    checks = [
        AssetCheckResult(check_name=name, passed=passed, severity=AssetCheckSeverity.ERROR, metadata=metadata)
        for name, passed, metadata in _check_outcomes(counted, duplicate_doc_ids(lake, "raw_files", state.table_version), state.table_version)
    ]
    return MaterializeResult(
        metadata={
            "status": status, "message": message, "dump": f"{dump} (no landing copy)" if retired is None else dump,
            "dagster/row_count": state.kept, "rows_kept": state.kept, "rows_dropped": state.dropped,
            "rows_in_recorded": recorded, "delta_version": state.table_version,
        },
        check_results=checks,
    )


class RetireDumpConfig(Config):
    dump: str = Field(description="The dump (code_dumps partition) to remove from the lake")
    reason: str = Field(description="Why: recorded in the lineage of every file of the dump")
    by: str = Field(default="", description="Who retires it (default: the user running the code location)")
    preset: str = Field(default="", description="fuzzy_dedup preset for the rebuild; empty: the one the last run used")
    seed: int = Field(default=0, description="filtered's seed for the rebuild")
    workers: int = Field(default=2, description="Workers of the rebuilt stages")


@op
def retire_dump_op(context: OpExecutionContext, config: RetireDumpConfig, lake: LakeResource, landing_zone: LandingZoneResource) -> None:
    """Removes a dump from the lake: its raw_files partition emptied (new version, lineage `retired`
    with who and why), the whole-lake stages re-run over the remaining dumps (survivors re-decided),
    a tombstone left in the landing zone, and the code_dumps partition deleted. Shard versions and
    training runs holding the dump's files are listed in the log and metadata."""
    the_lake = lake.lake()
    result = retire_dump(
        the_lake, config.dump, config.reason, config.by or getpass.getuser(), landing=Path(landing_zone.path),
        settings=RebuildSettings(preset=config.preset or None, seed=config.seed, workers=config.workers), progress=context.log.info,
    )
    # Logged once everything is written, so nothing downstream reacts to a half-rebuilt lake.
    for run in result.rebuilt:
        context.log_event(AssetMaterialization(
            asset_key=run.report.stage,
            description=f"rebuilt after retiring dump {config.dump}",
            metadata={f"{run.upstream}_version": run.upstream_version, "retired_dump": config.dump, **report_metadata(run.report, the_lake)},
        ))
        for name, passed, metadata in _check_outcomes(run.conservation, run.duplicates, run.report.version):
            context.log_event(AssetCheckEvaluation(
                asset_key=AssetKey(run.report.stage), check_name=name, passed=passed, severity=AssetCheckSeverity.ERROR, metadata=metadata
            ))
    if config.dump in context.instance.get_dynamic_partitions(code_dumps.name):
        context.instance.delete_dynamic_partition(code_dumps.name, config.dump)
        context.log.info(f"code_dumps partition {config.dump!r} deleted")
    for hit in result.shards:
        context.log.warning(f"{hit.stage} version {hit.version} ({hit.shard_folder}) holds {hit.files} files of {config.dump}")
    for run in result.training_runs:
        context.log.warning(f"training run {run.run_dir} trained on them" + (f" (from {run.inherited_from})" if run.inherited_from else ""))
    context.log.info(
        f"dump {config.dump} retired: {result.files_retired} files (raw_files version {result.raw_files_version}); "
        f"{len(result.rebuilt)} whole-lake stages rebuilt; {len(result.shards)} shard versions and {len(result.training_runs)} training runs hold its files"
    )
    if not result.checks_pass:
        raise Failure(f"retiring {config.dump}: a check failed after the rebuild (see the asset checks)")


@job(name="retire_dump", description="Remove a dump from the lake (config: dump, reason, by): see retire_dump_op")
def retire_dump_job():
    retire_dump_op()
