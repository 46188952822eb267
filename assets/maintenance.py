"""Lake maintenance in Dagster: the `lake_maintenance` job (compaction, then vacuum) and its weekly schedule."""

from dagster import Config, DefaultScheduleStatus, OpExecutionContext, ScheduleDefinition, job, op
from pydantic import Field

from codelake.lake.maintenance import compact, vacuum
from resources.lake import LakeResource


class LakeMaintenanceConfig(Config):
    tables: list[str] = Field(default_factory=list, description="Tables to maintain; empty: every table of the lake")
    compact: bool = Field(default=True, description="Merge small data files first (Delta OPTIMIZE)")
    delete: bool = Field(default=False, description="Delete the files vacuum finds; false: only list them (a dry run)")
    retain_hours: int = Field(default=-1, description="Vacuum horizon in hours; -1: rules/lake_maintenance.yaml's retain_hours")
    force: bool = Field(default=False, description="Allow a horizon below Delta's 7 days")


@op
def lake_maintenance_op(context: OpExecutionContext, config: LakeMaintenanceConfig, lake: LakeResource) -> dict:
    """Compacts each table's small files (a new version, the same rows), then vacuums the files no version
    younger than the horizon references: listed, or deleted with `delete`. Returns what it did per table."""
    the_lake = lake.lake()
    done: dict[str, dict] = {}
    if config.compact:
        for result in compact(the_lake, config.tables or None):
            done[result.table] = {"files_before": result.files_before, "files_after": result.files_after, "version": result.version_after}
            if result.skipped:
                context.log.warning(f"{result.table}: not compacted: {result.skipped}")
                done[result.table]["skipped"] = result.skipped
            elif result.committed:
                context.log.info(f"{result.table}: {result.files_before} -> {result.files_after} files (version {result.version_after})")
    hours = None if config.retain_hours < 0 else config.retain_hours
    for result in vacuum(the_lake, config.tables or None, retain_hours=hours, delete=config.delete, force=config.force):
        verb = "deleted" if result.deleted else "would delete"
        context.log.info(f"{result.table}: {verb} {len(result.files)} files ({result.bytes / 1e6:,.1f} MB)")
        done.setdefault(result.table, {}).update(vacuum_files=len(result.files), vacuum_bytes=result.bytes, vacuum_deleted=result.deleted)
    return done


@job(name="lake_maintenance", description="Compact small files, then vacuum unreferenced ones (config: tables, delete, retain_hours)")
def lake_maintenance_job():
    lake_maintenance_op()


# Weekly, off until someone turns it on: compaction, then deletion of files older versions than 7 days need.
lake_maintenance_schedule = ScheduleDefinition(
    job=lake_maintenance_job, cron_schedule="0 3 * * 0", default_status=DefaultScheduleStatus.STOPPED,
    run_config={"ops": {"lake_maintenance_op": {"config": {"delete": True}}}},
)
