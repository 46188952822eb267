"""The DuckDB catalog file beside the lake: any DuckDB client opens the lake through it, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa

from codelake.lake import Lake
from codelake.lake.catalog import catalog_path, extension_directory, init_file, refresh_catalog
from corpusfactory import write_corpus


def _client(lake: Lake) -> duckdb.DuckDBPyConnection:
    # What a user's Python client does: open the file read-only, point DuckDB at the catalog's extensions,
    # and forbid downloads, so a missing extension would fail rather than be fetched.
    config = {"extension_directory": str(extension_directory(lake)), "autoinstall_known_extensions": False}
    return duckdb.connect(str(catalog_path(lake)), read_only=True, config=config)


def test_the_catalog_opens_read_only_with_a_view_per_table_and_time_travel(tmp_path):
    lake = Lake(tmp_path / "lake")
    write_corpus(lake, first=10, second=5)
    path = refresh_catalog(lake)
    assert path == tmp_path / "lake.duckdb" and not Path(f"{path}.wal").exists()
    con = _client(lake)
    try:
        assert con.execute("SELECT count(*) FROM code_corpus").fetchone()[0] == 15
        assert con.execute("SELECT count(*) FROM table_at_version('code_corpus', 0)").fetchone()[0] == 10
        assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["code_corpus"]
        try:
            con.execute("CREATE TABLE t AS SELECT 1")
            raise AssertionError("a read-only catalog accepted a write")
        except duckdb.Error as err:
            assert "read-only" in str(err)
    finally:
        con.close()


def test_a_refresh_adds_new_tables_and_follows_schema_changes(tmp_path):
    lake = Lake(tmp_path / "lake")
    write_corpus(lake, first=4, second=2)
    refresh_catalog(lake)
    schema = pa.schema([("doc_id", pa.string()), ("n", pa.int64())])
    lake.write("extra", [pa.RecordBatch.from_pylist([{"doc_id": "a", "n": 1}], schema=schema)], schema)
    wider = pa.schema([("doc_id", pa.string()), ("n", pa.int64()), ("note", pa.string())])
    refresh_catalog(lake)
    lake.write("extra", [pa.RecordBatch.from_pylist([{"doc_id": "b", "n": 2, "note": "new column"}], schema=wider)], wider)
    refresh_catalog(lake)
    con = _client(lake)
    try:
        assert con.execute("SELECT doc_id, note FROM extra").fetchall() == [("b", "new column")]
        assert sorted(r[0] for r in con.execute("SHOW TABLES").fetchall()) == ["code_corpus", "extra"]
    finally:
        con.close()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no scratch files left behind


def test_the_duckdb_shell_opens_the_catalog_offline(tmp_path):
    lake = Lake(tmp_path / "lake")
    write_corpus(lake, first=6, second=3)
    refresh_catalog(lake)
    shell = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
    assert shell, "the duckdb-cli package provides the `duckdb` shell"
    home = tmp_path / "empty-home"  # no ~/.duckdb/extensions: the delta extension can only come from the catalog's
    home.mkdir()
    done = subprocess.run(
        [shell, "-readonly", "-init", str(init_file(lake)), str(catalog_path(lake)), "-csv", "-c",
         "SELECT count(*) AS n FROM code_corpus", "-c", "SELECT count(*) AS m FROM table_at_version('code_corpus', 0)"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(home)}, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "9", "m", "6"]
    assert not (home / ".duckdb").exists()
