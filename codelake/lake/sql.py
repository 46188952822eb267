"""Read-only SQL over the lake with DuckDB: every Delta table is a view of the same name.

Views use `delta_scan` from DuckDB's offline Delta extension (shipped as a wheel, loaded by path so
nothing is written to HOME), which gives projection and filter pushdown and time travel
(`delta_scan(path, version := N)`). DuckDB never writes to the lake, so there is no writer lock.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import duckdb_extension_delta

from codelake.lake.tables import Lake

_EXTENSION = (
    Path(duckdb_extension_delta.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "delta.duckdb_extension"
)


def table_names(lake: Lake) -> list[str]:
    if not lake.root.is_dir():
        return []
    return sorted(p.parent.name for p in lake.root.glob("*/_delta_log"))


def connect(lake: Lake, memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per lake table (`raw_files`, `lineage`, …)."""
    # Past the memory limit DuckDB spills to the system temp dir, never into the lake or the cwd.
    spill = Path(tempfile.gettempdir()) / "codelake-duckdb-spill"
    config = {"memory_limit": memory_limit, "temp_directory": str(spill), "autoinstall_known_extensions": False}
    con = duckdb.connect(config=config)
    con.execute(f"LOAD '{_EXTENSION}'")
    refresh_views(con, lake)
    return con


def refresh_views(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """A view for every lake table, including tables created since the connection was opened (a view reads
    the table's newest version whenever it is queried)."""
    for name in table_names(lake):
        path = str(lake.table_path(name)).replace("'", "''")
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM delta_scan(\'{path}\')')


def delta_scan(lake: Lake, name: str, version: int | None = None) -> str:
    """A `delta_scan(...)` expression for a table, optionally at an earlier version (time travel)."""
    path = str(lake.table_path(name)).replace("'", "''")
    return f"delta_scan('{path}', version := {int(version)})" if version is not None else f"delta_scan('{path}')"
