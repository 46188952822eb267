"""A dump ingested earlier whose landing copy is gone (archived): what the lake still holds of it."""

from __future__ import annotations

from dataclasses import dataclass

from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.sql import connect

STAGE = "raw_files"


@dataclass(frozen=True)
class IngestedDump:
    dump: str
    kept: int  # rows in raw_files now
    dropped: int  # raw_files lineage drops
    table_version: int  # raw_files' current version (unchanged by a skipped run)

    @property
    def rows_in(self) -> int:
        return self.kept + self.dropped


def ingested_dump(lake: Lake, dump: str) -> IngestedDump | None:
    """The dump's rows and drops in the lake, or None when it was never ingested."""
    if not lake.exists(STAGE):
        return None
    con = connect(lake)
    try:
        kept = con.execute(f"SELECT count(*) FROM {STAGE} WHERE dump = $d", {"d": dump}).fetchone()[0]
        dropped = 0
        if lake.exists(LINEAGE_TABLE):
            dropped = con.execute(
                f"SELECT count(*) FROM {LINEAGE_TABLE} WHERE stage = $s AND dump = $d AND action = 'drop'", {"s": STAGE, "d": dump}
            ).fetchone()[0]
    finally:
        con.close()
    if kept == 0 and dropped == 0:
        return None
    return IngestedDump(dump, int(kept), int(dropped), lake.version(STAGE))


def source_gone_message(dump: str, landing: str, state: IngestedDump) -> str:
    return (
        f"raw_files[{dump}]: the landing copy of dump {dump!r} is gone from {landing} (archived?); "
        f"its {state.kept} rows and {state.dropped} recorded drops stay in the lake as they are "
        f"(raw_files version {state.table_version}, nothing written). Put the dump back in the landing zone to re-ingest it."
    )
