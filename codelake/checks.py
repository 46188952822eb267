"""Invariants every stage must hold, computed from the lake itself (not from the stage's own counts)."""

from __future__ import annotations

from dataclasses import dataclass

from codelake.lake import Lake
from codelake.lake.lineage import LINEAGE_TABLE
from codelake.lake.sql import ConnectionFactory, connect, delta_scan


@dataclass(frozen=True)
class Conservation:
    rows_in: int
    kept: int
    dropped: int

    @property
    def holds(self) -> bool:
        return self.rows_in == self.kept + self.dropped


def _where(dump: str | None) -> str:
    return "" if dump is None else " AND dump = $dump"


def conservation(
    lake: Lake, stage: str, version: int, rows_in: int, dump: str | None = None, connections: ConnectionFactory | None = None
) -> Conservation:
    """rows in = rows in the stage's table at `version` + the stage's lineage drops stamped with that version or
    an earlier one (an incremental stage keeps the drops it decided before; a withdrawn file's row is gone)."""
    params = {"dump": dump} if dump is not None else {}
    con = connect(lake, connections=connections)
    try:
        kept = con.execute(f"SELECT count(*) FROM {delta_scan(lake, stage, version)} WHERE true{_where(dump)}", params).fetchone()[0]
        dropped = 0
        if lake.exists(LINEAGE_TABLE):
            dropped = con.execute(
                f"SELECT count(*) FROM {LINEAGE_TABLE} WHERE stage = $stage AND version <= $version AND action = 'drop'{_where(dump)}",
                {"stage": stage, "version": version, **params},
            ).fetchone()[0]
    finally:
        con.close()
    return Conservation(rows_in, kept, dropped)


def duplicate_doc_ids(lake: Lake, stage: str, version: int, connections: ConnectionFactory | None = None) -> int:
    """How many doc ids appear more than once among the stage's kept rows and its lineage drops up to
    `version` together: kept twice, both kept and dropped, or dropped twice."""
    con = connect(lake, connections=connections)
    try:
        ids = f"SELECT doc_id FROM {delta_scan(lake, stage, version)}"
        params: dict = {}
        if lake.exists(LINEAGE_TABLE):
            ids += f" UNION ALL SELECT doc_id FROM {LINEAGE_TABLE} WHERE stage = $stage AND version <= $version AND action = 'drop'"
            params = {"stage": stage, "version": version}
        duplicates = con.execute(f"SELECT count(*) - count(DISTINCT doc_id) FROM ({ids})", params).fetchone()[0]
    finally:
        con.close()
    return int(duplicates)
