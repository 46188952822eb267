"""Retire a dump: take it out of the lake as new table versions, every decision recorded.

1. A tombstone in the landing zone (`.retired/<dump>.json`), so a copy still there is not ingested again.
2. One raw_files commit emptying the dump's partition; its lineage (one commit) then holds a drop
   `retired` (who, when, why) for every file the partition held, and the dump's earlier drops
   re-stamped with that version: rows in (the dump's members) = 0 kept + drops still holds.
3. The whole-lake stages run again over the dumps that remain (`rebuild.py`): survivors are re-decided,
   so a file whose survivor came from the retired dump is kept again from another dump.

Earlier versions stay readable by time travel. Training shards are not rebuilt (a training run is a
decision): the result lists the shard versions and runs that hold the retired files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codelake.checks import Conservation, conservation, duplicate_doc_ids
from codelake.dumps.landing import write_retirement
from codelake.lake import Lake, LineageSpool
from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.sql import connect
from codelake.lifecycle.exposure import RunHit, ShardHit, shard_hits, training_runs_on
from codelake.lifecycle.rebuild import RebuildSettings, StageRun, rebuild_whole_lake
from codelake.raw_files.schema import RAW_FILES_SCHEMA
from codelake.settings import codelake_home

STAGE = "raw_files"
RETIRED = "retired"


class RetireError(ValueError):
    """The dump cannot be retired (unknown, already retired, no reason given); nothing was changed."""


@dataclass
class Retirement:
    dump: str
    reason: str
    by: str
    retired_at: str
    files_retired: int
    earlier_drops: int
    raw_files_version: int
    raw_conservation: Conservation
    raw_duplicates: int
    tombstone: Path | None
    rebuilt: list[StageRun] = field(default_factory=list)
    shards: list[ShardHit] = field(default_factory=list)
    unreadable_shard_versions: list[str] = field(default_factory=list)
    training_runs: list[RunHit] = field(default_factory=list)

    @property
    def checks_pass(self) -> bool:
        return self.raw_conservation.holds and self.raw_duplicates == 0 and all(run.checks_pass for run in self.rebuilt)


def _dump_state(lake: Lake, dump: str) -> tuple[list[tuple], list[tuple]]:
    """(the dump's raw_files rows as (doc_id, dump, repo, path), its raw_files lineage rows)."""
    con = connect(lake)
    try:
        rows = con.execute(f"SELECT doc_id, dump, repo, path FROM {STAGE} WHERE dump = $d ORDER BY doc_id", {"d": dump}).fetchall()
        lineage = []
        if lake.exists(LINEAGE_TABLE):
            lineage = con.execute(
                "SELECT doc_id, action, reason, detail, dump, repo, path FROM lineage WHERE stage = $s AND dump = $d ORDER BY doc_id",
                {"s": STAGE, "d": dump},
            ).fetchall()
    finally:
        con.close()
    return rows, lineage


def retire_dump(
    lake: Lake,
    dump: str,
    reason: str,
    by: str,
    landing: Path | None = None,
    settings: RebuildSettings | None = None,
    training_runs: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Retirement:
    """Remove `dump` from the lake (see the module docstring). `landing`: the landing zone to leave the
    tombstone in (None: none is left). `training_runs`: default `$CODELAKE_HOME/training/runs`."""
    if not reason.strip():
        raise RetireError(f"retiring {dump!r} needs a reason (it is recorded in the lineage of every file)")
    if not by.strip():
        raise RetireError(f"retiring {dump!r} needs a name for who retires it")
    if not lake.exists(STAGE):
        raise RetireError(f"{lake.table_path(STAGE)}: no raw_files table: dump {dump!r} was never ingested")
    rows, earlier = _dump_state(lake, dump)
    if not rows and not earlier:
        raise RetireError(f"dump {dump!r} is not in {lake.root} (raw_files holds no row and no lineage for it)")
    if not rows and any(reason_ == RETIRED for _, _, reason_, *_ in earlier):
        raise RetireError(f"dump {dump!r} is already retired (see `codelake why` on one of its files)")
    retired_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    detail = f"dump {dump} retired {retired_at} by {by}: {reason}"
    tombstone = None
    if landing is not None:  # first: a crash after it leaves the dump in the lake, never re-ingested behind our back
        tombstone = write_retirement(landing, dump, {"dump": dump, "reason": reason, "by": by, "retired_at": retired_at, "lake": str(lake.root)})

    spool = LineageSpool(STAGE)
    try:
        for doc, dump_, repo, path in rows:
            spool.record(doc, "drop", RETIRED, detail, dump_, repo, path)
        for doc, action, reason_, detail_, dump_, repo, path in earlier:
            spool.record(doc, action, reason_, detail_, dump_, repo, path)
        version, _ = spool.commit_with_table(lake, iter(()), RAW_FILES_SCHEMA, dump=dump)
    finally:
        spool.discard()
    earlier_drops = sum(1 for _, action, *_ in earlier if action == "drop")
    rows_in = len(rows) + earlier_drops
    if progress is not None:
        progress(f"raw_files: dump {dump} emptied in version {version}: {len(rows)} files retired, {earlier_drops} earlier drops kept")

    result = Retirement(
        dump, reason, by, retired_at, len(rows), earlier_drops, version,
        conservation(lake, STAGE, version, rows_in, dump), duplicate_doc_ids(lake, STAGE, version), tombstone,
    )
    result.rebuilt = rebuild_whole_lake(lake, settings, progress)
    result.shards, result.unreadable_shard_versions = shard_hits(lake, [r[0] for r in rows])
    runs_root = training_runs if training_runs is not None else codelake_home() / "training" / "runs"
    result.training_runs = training_runs_on({h.shard_folder for h in result.shards}, runs_root)
    return result
