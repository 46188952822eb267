"""The uniqueness check counts every way a doc id can repeat within one stage version."""

from __future__ import annotations

import pyarrow as pa

from codelake.checks import duplicate_doc_ids
from codelake.lake import Lake, LineageSpool

SCHEMA = pa.schema([("doc_id", pa.string()), ("dump", pa.string())])


def _stage(lake: Lake, kept: list[str], drops: list[str]) -> int:
    spool = LineageSpool("toy")
    for doc in drops:
        spool.record(doc, "drop", "toy_reason", "", "d1", "o/r", f"{doc}.py")
    spool.record("changed", "change", "toy_change", "", "d1", "o/r", "changed.py")  # a change is not a drop
    rows = [pa.RecordBatch.from_pylist([{"doc_id": d, "dump": "d1"} for d in kept], schema=SCHEMA)]
    version, _ = spool.commit_with_table(lake, rows, SCHEMA)
    return duplicate_doc_ids(lake, "toy", version)


def test_unique_ids_pass(tmp_path):
    assert _stage(Lake(tmp_path), ["a", "b", "changed"], ["c", "d"]) == 0


def test_kept_twice_kept_and_dropped_and_dropped_twice_each_count(tmp_path):
    lake = Lake(tmp_path)
    assert _stage(lake, ["a", "a", "b"], ["c"]) == 1  # kept twice
    assert _stage(lake, ["a", "b"], ["b", "c"]) == 1  # kept and dropped
    assert _stage(lake, ["a"], ["c", "c", "d"]) == 1  # dropped twice: the gap this check had
    assert _stage(lake, ["a", "a"], ["a", "c", "c"]) == 3
    # only the version asked about: the earlier versions' rows are not counted again
    assert _stage(lake, ["a"], ["b"]) == 0
