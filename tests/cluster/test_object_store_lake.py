"""The lake on an S3-compatible object store (a real HTTP server on 127.0.0.1): the same stages give the
same tables and lineage as on local disk; every version stays readable (time travel, in Arrow and in
DuckDB); a write that dies in the middle leaves the previous version; DuckDB's read-only SQL reads it."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest

from codelake.exact_dedup import run_exact_dedup
from codelake.lake import Lake
from codelake.lake.read_only import read_only_connection
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from dumpfactory import manifest, small_repos, write_dir_dump
from s3_server import S3Server


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    server = S3Server(tmp_path_factory.mktemp("s3") / "server.log")
    try:
        server.start()
        server.create_bucket("lake")
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_lake(s3):
    return Lake(f"s3://lake/{uuid.uuid4().hex}", s3.storage_options())


def _sorted(lake: Lake, name: str, key: str = "doc_id") -> list[dict]:
    rows = lake.dataset(name).to_table().to_pylist()
    for row in rows:
        row.pop("version", None)  # lineage rows carry the Delta version they were committed in: the same in both lakes
    return sorted(rows, key=lambda r: (r[key], str(r)))


def _repos():
    repos = small_repos()
    repos["copy"] = {".codelake.json": manifest("other/copy", stars=1), **{k: v for k, v in repos[next(iter(repos))].items() if k != ".codelake.json"}}
    return repos


def test_stages_on_the_object_store_give_the_same_tables_and_lineage_as_on_disk(s3_lake, tmp_path):
    dump = write_dir_dump(tmp_path / "d1", _repos())
    local = Lake(tmp_path / "lake")
    for lake in (local, s3_lake):
        run_raw_files(lake, dump)
        run_exact_dedup(lake)
    assert s3_lake.table_names() == local.table_names() == ["exact_dedup", "lineage", "raw_files"]
    for name in ("raw_files", "exact_dedup", "lineage"):
        assert _sorted(s3_lake, name) == _sorted(local, name), name
    assert s3_lake.count("exact_dedup") < s3_lake.count("raw_files")  # the copy was dropped, as a lineage row says
    with connect(s3_lake) as con:  # DuckDB reads the object store through the same options
        assert con.execute("SELECT count(*) FROM lineage WHERE stage = 'exact_dedup'").fetchone()[0] >= 1


SCHEMA = pa.schema([("doc_id", pa.string()), ("n", pa.int64())])


def _batch(ids: range) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{"doc_id": f"d{i}", "n": i} for i in ids], schema=SCHEMA)


def test_every_version_stays_readable_and_a_write_dying_mid_way_leaves_the_last_one(s3_lake):
    v0 = s3_lake.write("t", [_batch(range(3))], SCHEMA)
    v1 = s3_lake.write("t", [_batch(range(10, 15))], SCHEMA)
    assert (v0, v1) == (0, 1)

    def dying():
        yield _batch(range(100, 200))
        raise OSError("connection reset in the middle of the write")

    with pytest.raises(OSError, match="connection reset"):
        s3_lake.write("t", dying(), SCHEMA)
    assert s3_lake.version("t") == 1 and s3_lake.count("t") == 5  # the files written before the crash are not in any version
    assert sorted(r["n"] for r in s3_lake.dataset("t", 0).to_table().to_pylist()) == [0, 1, 2]
    with read_only_connection(s3_lake) as con:
        assert con.execute("SELECT sum(n) FROM t").fetchone()[0] == sum(range(10, 15))
        assert con.execute("SELECT sum(n) FROM table_at_version('t', 0)").fetchone()[0] == 3
        with pytest.raises(Exception, match="Permission|disabled"):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")  # still read-only and confined to the lake
