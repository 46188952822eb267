"""The whole demo end to end (what `make demo` runs), on the real demo dumps built from this machine."""

from __future__ import annotations

import json

import pytest
from dagster import DagsterInstance

from codelake.cli.inspect import find_doc_ids, trace
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.settings import default_lake_root


@pytest.fixture(scope="module")
def demo_lake() -> Lake:
    from demo.run import main

    assert main() == 0
    return Lake(default_lake_root())


def test_every_check_passed_and_every_row_is_accounted_for(demo_lake):
    con = connect(demo_lake)
    raw_in = con.execute("SELECT count(*) FROM raw_files").fetchone()[0]
    kept = con.execute("SELECT count(*) FROM exact_dedup").fetchone()[0]
    dropped = con.execute("SELECT count(*) FROM lineage WHERE stage = 'exact_dedup'").fetchone()[0]
    assert raw_in == kept + dropped and dropped > 0
    reasons = dict(con.execute("SELECT reason, count(*) FROM lineage WHERE stage = 'raw_files' GROUP BY 1").fetchall())
    assert reasons["too_large"] >= 1 and reasons["unsupported_language"] > 0 and reasons["empty"] > 0
    languages = con.execute("SELECT count(DISTINCT language) FROM raw_files").fetchone()[0]
    assert languages >= 15


def test_checks_passed_in_dagster(demo_lake):
    from dagster import AssetCheckKey, AssetKey

    instance = DagsterInstance.get()
    for asset in ("raw_files", "exact_dedup"):
        for check in ("rows_conserved", "unique_doc_ids"):
            record = instance.event_log_storage.get_latest_asset_check_execution_by_key([AssetCheckKey(AssetKey(asset), check)])
            execution = record[AssetCheckKey(AssetKey(asset), check)]
            assert execution.status.value == "SUCCEEDED", (asset, check)


def test_the_mirror_loses_to_the_original_across_dumps(demo_lake):
    con = connect(demo_lake)
    row = con.execute(
        "SELECT repo, path, detail FROM lineage WHERE stage = 'exact_dedup' AND repo = 'mirror/cpython-3.12' AND path LIKE '%os.py' LIMIT 1"
    ).fetchone()
    assert row is not None
    detail = json.loads(row[2])
    assert detail["survivor_repo"] == "python/cpython-3.12" and detail["survivor_dump"] == "demo-2024-01"
    docs = find_doc_ids(demo_lake, f"{row[0]}/{row[1]}")
    assert len(docs) == 1
    steps = trace(demo_lake, docs[0])
    assert [s["status"] for s in steps] == ["kept", "drop"] and steps[1]["reason"] == "exact_duplicate"


def test_the_demo_trains_and_evaluates_a_model(demo_lake):
    """The training branch ran end to end on the demo's corpora: shards with all three shares, a model whose
    loss fell, two SFT stages, and HumanEval samples executed in the sandbox."""
    from dagster import AssetKey

    instance = DagsterInstance.get()

    def metadata(asset: str) -> dict:
        event = instance.get_latest_materialization_event(AssetKey(asset))
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}

    con = connect(demo_lake)
    shares = dict(con.execute("SELECT share, count(*) FROM pretrain_shards GROUP BY 1").fetchall())
    assert set(shares) == {"code", "text", "math"}
    pretrain = metadata("pretrain_checkpoint")
    assert pretrain["final_loss"] < pretrain["first_loss"] and pretrain["steps"] == 60
    sft = metadata("sft_checkpoint")
    assert sft["sft_stage2/init_from"] == sft["sft_stage1/checkpoint_path"]
    evaluation = metadata("evaluation")
    assert evaluation["problems"] == 20 and 0.0 <= evaluation["pass@1"] <= 1.0
    executed = con.execute("SELECT count(*), count(DISTINCT task_id) FROM evaluation_samples WHERE run_id = (SELECT max_by(run_id, evaluated_at) FROM evaluation_samples)").fetchone()
    assert executed == (20, 20)
    steps = trace(demo_lake, con.execute("SELECT doc_id FROM pretrain_shards WHERE share = 'code' LIMIT 1").fetchone()[0])
    assert steps[-1]["stage"] in ("pretrain_shards", "annealing_shards") and ".ds document" in steps[-1]["detail"]
