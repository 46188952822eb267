"""The executor interface the stage drivers' batch maps go through: which executor is active, and a
stage's work shipped as a distributed executor ships it (function and batch pickled, as to a Ray task)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from codelake.compute import LocalExecutor, TableOutput, batch_executor, batch_map, running_on
from codelake.filtered.stage import SIGNALS_SCHEMA, compute_signals_parallel
from codelake.lake import Lake
from codelake.lake.parquet_files import WrittenFiles
from executorfactory import ShippingExecutor


def _plus_one(x: int) -> int:
    return x + 1


def test_the_active_executor_is_local_unless_a_block_says_otherwise():
    assert isinstance(batch_executor(), LocalExecutor)
    shipping = ShippingExecutor()
    with running_on(shipping):
        assert batch_executor() is shipping
        assert list(batch_map(_plus_one, [("a", 1), ("b", 2)])) == [("a", 2), ("b", 3)]
    assert isinstance(batch_executor(), LocalExecutor)
    assert shipping.batches == 2


def _batches(n_files: int = 24, per_batch: int = 8) -> list[pa.RecordBatch]:
    lib = Path(sys.modules["json"].__file__).parent
    texts = [p.read_text() for p in sorted(lib.glob("*.py"))] + ["x = 1\n", "<html><p>hi</p></html>\n", "a" * 3000]
    rows = [{"doc_id": f"d{i}", "dump": "d", "repo": "r/r", "path": f"f{i}.py" if i % 3 else f"f{i}.html",
             "language": "Python" if i % 3 else "HTML", "size": len(t.encode()), "text": t} for i, t in enumerate((texts * 8)[:n_files])]
    schema = pa.schema([("doc_id", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()),
                        ("language", pa.string()), ("size", pa.int64()), ("text", pa.large_string())])
    table = pa.Table.from_pylist(rows, schema=schema)
    return table.to_batches(max_chunksize=per_batch)


def test_filter_signals_shipped_to_a_distributed_executor_equal_the_local_pool():
    local = pa.concat_tables(compute_signals_parallel(_batches(), workers=2))
    shipping = ShippingExecutor()
    with running_on(shipping):
        shipped = pa.concat_tables(compute_signals_parallel(_batches(), workers=2))
    assert shipping.batches == 3  # one task per batch, not the local process pool
    assert shipped.schema == SIGNALS_SCHEMA and shipped.num_rows == 24
    assert shipped.equals(local)


def test_rows_a_worker_wrote_join_the_drivers_one_commit(tmp_path):
    lake = Lake(tmp_path / "lake")
    batches = _batches()
    output = TableOutput.of(lake, "filter_signals", SIGNALS_SCHEMA, ["dump"], keep=("language", "size"))
    with running_on(ShippingExecutor()):
        streamed = [t for t in compute_signals_parallel(batches[:2], workers=2, output=output)]
    assert all(isinstance(t, WrittenFiles) for t in streamed) and [t.num_rows for t in streamed] == [8, 8]
    assert streamed[0].column("size").to_pylist() == batches[0].column("size").to_pylist()  # what the driver counts
    assert not lake.exists("filter_signals")  # written, not committed
    local = pa.concat_tables(compute_signals_parallel(batches, workers=1))
    version = lake.write("filter_signals", [*streamed, *local.slice(16).to_batches()], SIGNALS_SCHEMA, partition_by=["dump"])
    assert version == 0
    back = lake.dataset("filter_signals").to_table().select(SIGNALS_SCHEMA.names).sort_by("doc_id")
    assert back.equals(local.sort_by("doc_id"))
