from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset  # noqa: F401 - pa.dataset
import pytest

from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import connect, delta_scan

SCHEMA = pa.schema([("doc_id", pa.string()), ("dump", pa.string()), ("n", pa.int64())])


def batches(dump: str, count: int, fail_after: int | None = None):
    for i in range(count):
        if fail_after is not None and i == fail_after:
            raise RuntimeError("crash while streaming")
        yield pa.RecordBatch.from_pylist([{"doc_id": f"{dump}-{i}", "dump": dump, "n": i}], schema=SCHEMA)


def test_each_write_is_one_version_and_old_versions_stay_readable(tmp_path):
    lake = Lake(tmp_path)
    assert lake.write("t", batches("a", 3), SCHEMA, partition_by=["dump"], replace_where={"dump": "a"}) == 0
    assert lake.write("t", batches("b", 2), SCHEMA, partition_by=["dump"], replace_where={"dump": "b"}) == 1
    assert lake.write("t", batches("a", 1), SCHEMA, partition_by=["dump"], replace_where={"dump": "a"}) == 2
    assert lake.count("t") == 3 and lake.count("t", version=1) == 5 and lake.count("t", version=0) == 3
    con = connect(lake)
    assert con.execute(f"SELECT count(*) FROM {delta_scan(lake, 't', 1)}").fetchone()[0] == 5
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 3


def test_a_failing_stream_commits_nothing(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", batches("a", 3), SCHEMA, partition_by=["dump"], replace_where={"dump": "a"})
    with pytest.raises(Exception, match="crash while streaming"):
        lake.write("t", batches("a", 10, fail_after=5), SCHEMA, partition_by=["dump"], replace_where={"dump": "a"})
    assert lake.version("t") == 0 and lake.count("t") == 3


def test_lineage_is_stamped_and_replaced_per_stage_and_dump(tmp_path):
    lake = Lake(tmp_path)
    for dump, version in (("a", 0), ("b", 1)):
        spool = LineageSpool("raw_files", flush_rows=2)
        for i in range(5):
            spool.record(f"{dump}{i}", "drop", "binary", f"NUL at {i}", dump, "o/r", f"f{i}")
        spool.commit(lake, version, dump=dump)
    spool = LineageSpool("raw_files")
    spool.record("a9", "drop", "empty", "", "a", "o/r", "g")
    spool.commit(lake, 7, dump="a")
    rows = connect(lake).execute("SELECT dump, version, count(*) FROM lineage GROUP BY ALL ORDER BY 1").fetchall()
    assert rows == [("a", 7, 1), ("b", 1, 5)]


def test_discarded_spool_leaves_no_file(tmp_path):
    spool = LineageSpool("x", spool_dir=tmp_path)
    spool.record("d", "drop", "r", "", "a", "o/r", "p")
    spool.discard()
    assert list(tmp_path.iterdir()) == []


def test_datasets_read_through_arrows_own_filesystem_and_any_partition_value(tmp_path):
    """Not deltalake's Python filesystem handler (a process exiting while an Arrow scan thread held it
    aborted, 2 runs in 8 of a stage's subprocess): Arrow's native one, rooted at the table; partition
    values that need quoting in a path still read back."""
    import pyarrow.fs as pafs

    lake = Lake(tmp_path)
    dumps = ["plain", "with space", "pct%41", "plus+sign", "ünï", "a=b/c"]
    rows = [pa.RecordBatch.from_pylist([{"doc_id": f"d{i}", "dump": d, "n": i} for i, d in enumerate(dumps)], schema=SCHEMA)]
    lake.write("t", rows, SCHEMA, partition_by=["dump"])
    dataset = lake.dataset("t")
    assert isinstance(dataset.filesystem, pafs.SubTreeFileSystem) and isinstance(dataset.filesystem.base_fs, pafs.LocalFileSystem)
    assert sorted(dataset.to_table().column("dump").to_pylist()) == sorted(dumps)
    assert lake.dataset("t").to_table(filter=pa.dataset.field("dump") == "with space").column("n").to_pylist() == [1]
