"""Lake maintenance: compacting small data files and vacuuming files no recent version needs.

Every commit of an incremental stage, every Ray task and every per-dump lineage commit adds a few small
Parquet files; scans slow down as they pile up. `compact` rewrites each table's files into files of
`target_file_mb` per partition (delta-rs OPTIMIZE): a new version, the same rows. Old versions keep
their files until `vacuum` deletes the files that no version younger than `retain_hours` references
(delta-rs VACUUM). Only then is the text of a retired dump or an opted-out file gone from disk; the
versions before the horizon are no longer readable by time travel.

Both leave the stages' own state alone: an incremental stage reads its state from its latest *write*
(codelake.lake.increments skips OPTIMIZE and VACUUM commits), so a compacted table is still brought up
to date incrementally. A stage table whose lineage holds rows stamped past its version (a run that
crashed between its lineage commit and its table commit) is not compacted: the new version would adopt
those rows; re-running the stage clears them first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.parquet_files import PARQUET_OPTIONS
from codelake.lake.storage import filesystem_for
from codelake.lake.tables import Lake
from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

MAINTENANCE_RULES = RULES_DIR / "lake_maintenance.yaml"
DELTA_MIN_RETENTION_HOURS = 168  # delta-rs refuses a shorter horizon unless the retention check is off
MAINTENANCE_OPERATIONS = frozenset({"OPTIMIZE", "VACUUM START", "VACUUM END"})


@dataclass(frozen=True)
class MaintenanceRules:
    target_file_mb: int
    retain_hours: int

    @classmethod
    def load(cls, path: str | Path = MAINTENANCE_RULES) -> MaintenanceRules:
        data = load_rule_file(path)
        rules = cls(int(require(data, "target_file_mb", int, path)), int(require(data, "retain_hours", int, path)))
        if rules.target_file_mb <= 0 or rules.retain_hours < 0:
            raise RuleFileError(f"{path}: target_file_mb must be > 0 and retain_hours >= 0, got {rules}")
        return rules


@dataclass(frozen=True)
class Compaction:
    table: str
    files_before: int
    files_after: int
    version_before: int
    version_after: int  # == version_before when there was nothing to merge (no commit)
    skipped: str | None = None  # why the table was left as it is

    @property
    def committed(self) -> bool:
        return self.version_after != self.version_before


@dataclass(frozen=True)
class Vacuum:
    table: str
    files: list[str]  # relative to the table folder
    bytes: int
    deleted: bool  # False: a dry run, the files are only listed


def _tables(lake: Lake, names: list[str] | None) -> list[str]:
    existing = lake.table_names()
    if not names:
        return existing
    unknown = sorted(set(names) - set(existing))
    if unknown:
        raise ValueError(f"{lake.root}: no table {', '.join(unknown)} (tables: {', '.join(existing) or 'none'})")
    return list(names)


def stale_lineage_rows(lake: Lake, stage: str) -> int:
    """Lineage rows of `stage` stamped with a version its table has not reached: left by a crashed run."""
    if stage == LINEAGE_TABLE or not lake.exists(LINEAGE_TABLE):
        return 0
    import pyarrow.dataset as ds

    version = lake.version(stage)
    return lake.dataset(LINEAGE_TABLE).count_rows(filter=(ds.field("stage") == stage) & (ds.field("version") > version))


def compact(lake: Lake, names: list[str] | None = None, rules: MaintenanceRules | None = None) -> list[Compaction]:
    """Merge each table's small files (every table of the lake by default), one OPTIMIZE commit per table
    that had files to merge."""
    rules = rules or MaintenanceRules.load()
    results = []
    for name in _tables(lake, names):
        table = lake.table(name)
        version, files = table.version(), len(table.file_uris())
        stale = stale_lineage_rows(lake, name)
        if stale:
            results.append(Compaction(name, files, files, version, version,
                                      f"{stale} lineage rows stamped past version {version} (a crashed run): run the stage first"))
            continue
        metrics = table.optimize.compact(target_size=rules.target_file_mb * 10**6, writer_properties=_writer_properties())
        after = lake.table(name)
        results.append(Compaction(name, files, len(after.file_uris()), version,
                                  after.version() if metrics.get("numFilesAdded", 0) or metrics.get("numFilesRemoved", 0) else version))
    return results


def _writer_properties():
    """The stages' own Parquet settings (codelake.lake.parquet_files), not delta-rs' snappy default."""
    from deltalake import ColumnProperties, WriterProperties

    options = PARQUET_OPTIONS
    return WriterProperties(compression=options["compression"].upper(), compression_level=options["compression_level"],
                            default_column_properties=ColumnProperties(dictionary_enabled=options["use_dictionary"]))


def vacuum(lake: Lake, names: list[str] | None = None, rules: MaintenanceRules | None = None, retain_hours: int | None = None,
           delete: bool = False, force: bool = False) -> list[Vacuum]:
    """The data files no version younger than `retain_hours` (default: the rules') references, per table;
    deleted when `delete`, else only listed. A horizon below Delta's 7 days needs `force`."""
    rules = rules or MaintenanceRules.load()
    hours = rules.retain_hours if retain_hours is None else retain_hours
    if hours < DELTA_MIN_RETENTION_HOURS and not force:
        raise ValueError(f"a {hours} h horizon is below Delta's {DELTA_MIN_RETENTION_HOURS} h: a reader or writer still on an older "
                         "version would lose its files; pass force to vacuum anyway")
    results = []
    for name in _tables(lake, names):
        sizes = _sizes(lake, name, lake.table(name).vacuum(retention_hours=hours, dry_run=True, enforce_retention_duration=False))
        if delete and sizes:
            lake.table(name).vacuum(retention_hours=hours, dry_run=False, enforce_retention_duration=False)
        results.append(Vacuum(name, sorted(sizes), sum(sizes.values()), delete and bool(sizes)))
    return results


def _sizes(lake: Lake, name: str, files: list[str]) -> dict[str, int]:
    """Bytes of each listed file that still exists (Delta lists a removed file's path until the log forgets it)."""
    folder = lake.table_path(name)
    sizes = {}
    if lake.remote:
        import pyarrow.fs as pafs

        fs, prefix = filesystem_for(folder, lake.storage_options)
        for info in fs.get_file_info([f"{prefix}/{f}" for f in files]):
            if info.type == pafs.FileType.File:
                sizes[info.path.removeprefix(prefix + "/")] = info.size
        return sizes
    for f in files:
        for candidate in (f, unquote(f)):  # the log may hold a partition value URI-encoded
            try:
                sizes[f] = os.stat(Path(folder) / candidate).st_size
                break
            except FileNotFoundError:
                continue
    return sizes
