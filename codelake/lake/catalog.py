"""The lake's DuckDB catalog: a small database file beside the lake with one view per Delta table, so
the `duckdb` shell, or any DuckDB client, opens the lake directly (`$CODELAKE_HOME/lake.duckdb`).

The views read each table's newest version whenever they are queried; the file is rewritten after
every materialization because a new table or a changed schema needs a new view. It is built in a
temporary file and renamed over the old one, so a client holding it open keeps a consistent file and
two runs refreshing at once cannot corrupt it (the last rename wins; both list every table).

The views need DuckDB's Delta extension. It ships in a Python wheel and is never downloaded: the
catalog's extension directory links to that file in DuckDB's layout (`v<version>/<platform>/`), and
an init file sets the directory, so `duckdb -readonly -init lake.duckdbrc lake.duckdb` works offline.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from codelake.lake.sql import DELTA_EXTENSION, attach_storage, view_statements
from codelake.lake.tables import Lake
from codelake.settings import codelake_home


def _beside(lake: Lake) -> Path:
    # an object-store lake has no folder beside it on this machine: its catalog lives in CODELAKE_HOME
    return codelake_home() if lake.remote else lake.root.parent


def catalog_path(lake: Lake) -> Path:
    """`<lake>.duckdb` beside the lake directory: `$CODELAKE_HOME/lake.duckdb` for the default lake."""
    return _beside(lake) / f"{lake.root.name}.duckdb"


def init_file(lake: Lake) -> Path:
    """The DuckDB shell's init file for the catalog (`duckdb -init`): where the Delta extension is."""
    return _beside(lake) / f"{lake.root.name}.duckdbrc"


def extension_directory(lake: Lake) -> Path:
    return _beside(lake) / "duckdb_extensions"


def shell_command(lake: Lake) -> str:
    return f"duckdb -readonly -init {init_file(lake)} {catalog_path(lake)}"


def _link_delta_extension(directory: Path) -> Path:
    """Make `LOAD delta` find the wheel's extension in `directory`, offline: a symlink, not an 82 MB copy."""
    platform = duckdb.connect().execute("SELECT platform FROM pragma_platform()").fetchone()[0]
    target = directory / f"v{duckdb.__version__}" / platform / "delta.duckdb_extension"
    if target.is_symlink() and target.resolve() == DELTA_EXTENSION.resolve():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    link = target.with_name(f".{uuid.uuid4().hex}.link")
    link.symlink_to(DELTA_EXTENSION)
    os.replace(link, target)  # atomic, so a concurrent refresh or a reading client never sees it missing
    return target


def refresh_catalog(lake: Lake) -> Path:
    """Rewrite the catalog file with a view per lake table (and the `table_at_version` macro); returns its path."""
    target = catalog_path(lake)
    target.parent.mkdir(parents=True, exist_ok=True)
    extensions = extension_directory(lake)
    _link_delta_extension(extensions)
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        con = duckdb.connect(str(scratch), config={"extension_directory": str(extensions), "autoinstall_known_extensions": False})
        try:
            con.execute("LOAD delta")  # creating a view binds it, which needs delta_scan
            attach_storage(con, lake)  # an object-store lake: the shell must CREATE SECRET too (keys never go in a file)
            for statement in view_statements(lake):
                con.execute(statement)
            con.execute("CHECKPOINT")  # everything in the file itself, no write-ahead log beside it
        finally:
            con.close()
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
        Path(f"{scratch}.wal").unlink(missing_ok=True)
    directory = str(extensions.resolve()).replace("'", "''")
    rc = init_file(lake).with_name(f".{init_file(lake).name}.{uuid.uuid4().hex}.tmp")
    rc.write_text(
        "-- written by codelake with the lake catalog: load DuckDB's Delta extension offline\n"
        "SET autoinstall_known_extensions = false;\n"
        f"SET extension_directory = '{directory}';\n"
        "LOAD delta;\n"
    )
    os.replace(rc, init_file(lake))
    return target
