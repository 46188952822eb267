"""Read-only SQL over the lake with DuckDB: every Delta table is a view of the same name.

Views use `delta_scan` from DuckDB's offline Delta extension (shipped as a wheel, loaded by path so
nothing is written to HOME), which gives projection and filter pushdown and time travel
(`delta_scan(path, version := N)`). DuckDB never writes to the lake, so there is no writer lock.

Who opens the connection is the caller's choice: a `ConnectionFactory` (in Dagster, the `duckdb`
resource's, carrying its memory limit, threads and spill directory); without one, `DuckDBSettings()`.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import duckdb_extension_delta
import duckdb_extension_httpfs

from codelake.lake.storage import duckdb_secret_sql
from codelake.lake.tables import Lake

DELTA_EXTENSION = (
    Path(duckdb_extension_delta.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "delta.duckdb_extension"
)

HTTPFS_EXTENSION = (
    Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
)

# A fresh DuckDB connection with the Delta extension loaded; the caller closes it.
ConnectionFactory = Callable[[], duckdb.DuckDBPyConnection]


def default_spill_directory() -> str:
    # Past the memory limit DuckDB spills here: the system temp dir, never the lake or the cwd.
    return str(Path(tempfile.gettempdir()) / "codelake-duckdb-spill")


@dataclass(frozen=True)
class DuckDBSettings:
    """The knobs of every DuckDB connection over the lake (the `duckdb` resource's config in Dagster)."""

    memory_limit: str = "2GB"
    threads: int = 0  # 0: DuckDB's default, one per core
    temp_directory: str = field(default_factory=default_spill_directory)

    def config(self) -> dict:
        """One connection's configuration. Each gets its own spill folder under `temp_directory`: DuckDB names
        spill files by block size only, so two connections spilling into one folder overwrite each other's
        files ("Could not read enough bytes"). DuckDB removes the folder it created when the connection goes."""
        parent = Path(self.temp_directory)
        parent.mkdir(parents=True, exist_ok=True)
        spill = parent / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        config = {"memory_limit": self.memory_limit, "temp_directory": str(spill), "autoinstall_known_extensions": False}
        if self.threads:
            config["threads"] = self.threads
        return config

    def open(self) -> duckdb.DuckDBPyConnection:
        """A ConnectionFactory: an in-memory connection with these settings."""
        return open_connection(":memory:", self.config())


def open_connection(database: str = ":memory:", config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the Delta extension loaded from the wheel's file (no network, no HOME)."""
    con = duckdb.connect(database, config={"autoinstall_known_extensions": False, **(config or {})})
    load_delta(con)
    return con


def load_delta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{DELTA_EXTENSION}'")


def table_names(lake: Lake) -> list[str]:
    return lake.table_names()


def attach_storage(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """An object-store lake: DuckDB's S3 reader (httpfs, loaded from its wheel) and a secret made from the
    lake's storage options, so `delta_scan('s3://...')` reads it. A local lake needs nothing."""
    if lake.remote:
        con.execute(f"LOAD '{HTTPFS_EXTENSION}'")
        con.execute(duckdb_secret_sql(lake.storage_options))


def connect(lake: Lake, memory_limit: str = "2GB", connections: ConnectionFactory | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per lake table (`raw_files`, `lineage`, …), opened by
    `connections` (default: an in-memory connection with `memory_limit`)."""
    con = connections() if connections is not None else DuckDBSettings(memory_limit=memory_limit).open()
    attach_storage(con, lake)
    refresh_views(con, lake)
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_statements(lake: Lake, root: Path | None = None) -> list[str]:
    """CREATE statements for a view per table and the `table_at_version(name, version)` time-travel
    macro; paths under `root` (default: the lake's own path, absolute for files opened from anywhere)."""
    root = root or lake.root.resolve()
    statements = [
        f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM delta_scan({_literal(str(root / name))})' for name in table_names(lake)
    ]
    # One argument would be cast to the version's type when the macro is created; two keep it unbound until use.
    statements.append(
        f"CREATE OR REPLACE MACRO table_at_version(name, version) AS TABLE "
        f"SELECT * FROM delta_scan({_literal(str(root) + '/')} || name, version := version)"
    )
    return statements


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
