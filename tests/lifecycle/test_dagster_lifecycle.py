"""Through Dagster: raw_files over an archived dump keeps its rows, and the retire_dump job."""

from __future__ import annotations

import shutil

from dagster import DagsterInstance, materialize

from assets.code import code_corpus, exact_dedup, filter_signals, filtered, fuzzy_dedup, raw_files, transformed
from assets.lifecycle import retire_dump_job
from codelake.lake import Lake
from codelake.lake.sql import connect
from lifecycle_dumps import write_two_dumps
from resources import LakeDuckDBResource, LakeResource, LandingZoneResource, StageRunner

WHOLE_LAKE = [exact_dedup, fuzzy_dedup, transformed, filter_signals, filtered, code_corpus]
FAST_FUZZY = {"ops": {"fuzzy_dedup": {"config": {"preset": "jaccard-0.8"}}}}


def _setup(tmp_path):
    landing = tmp_path / "landing"
    write_two_dumps(landing)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("code_dumps", ["dump-a", "dump-b"])
    resources = {"lake": LakeResource(root=str(tmp_path / "lake")), "landing_zone": LandingZoneResource(path=str(landing), settle_seconds=0),
                 "duckdb": LakeDuckDBResource(), "stage_runner": StageRunner()}
    for key in ("dump-a", "dump-b"):
        assert materialize([raw_files], partition_key=key, instance=instance, resources=resources).success
    return landing, instance, resources, Lake(tmp_path / "lake")


def test_archived_dump_keeps_its_rows_and_whole_lake_stages_still_run(tmp_path):
    landing, instance, resources, lake = _setup(tmp_path)
    version = lake.version("raw_files")
    shutil.move(str(landing / "dump-b"), str(tmp_path / "archive-dump-b"))  # archived after ingestion

    result = materialize([raw_files], partition_key="dump-b", instance=instance, resources=resources)
    assert result.success  # no FileNotFoundError failing the run
    metadata = result.asset_materializations_for_node("raw_files")[0].metadata
    assert metadata["status"].value == "source gone" and metadata["rows_kept"].value == 3
    assert "its 3 rows and 0 recorded drops stay" in metadata["message"].value
    assert lake.version("raw_files") == version  # nothing written
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 and all(c.passed for c in checks)
    assert checks[0].metadata["rows_in"].value == 3  # the count recorded when the dump was read

    outcome = materialize([raw_files, exact_dedup], selection=[exact_dedup], instance=instance, resources=resources)
    assert outcome.success
    assert outcome.asset_materializations_for_node("exact_dedup")[0].metadata["rows_in"].value == 7

    # a dump that never landed and was never ingested is still an error
    instance.add_dynamic_partitions("code_dumps", ["dump-never"])
    failed = materialize([raw_files], partition_key="dump-never", instance=instance, resources=resources, raise_on_error=False)
    assert not failed.success


def test_retire_dump_job_rebuilds_the_lake_records_checks_and_deletes_the_partition(tmp_path):
    landing, instance, resources, lake = _setup(tmp_path)
    for stage in WHOLE_LAKE:
        outcome = materialize([raw_files, *WHOLE_LAKE], selection=[stage], instance=instance, resources=resources,
                              run_config=FAST_FUZZY if stage is fuzzy_dedup else None)
        assert outcome.success
    corpus_before = lake.version("code_corpus")
    corpus_rows_before = sorted(lake.dataset("code_corpus").to_table(columns=["doc_id"]).column("doc_id").to_pylist())

    config = {"ops": {"retire_dump_op": {"config": {"dump": "dump-b", "reason": "licence withdrawn", "by": "data-team"}}}}
    result = retire_dump_job.execute_in_process(run_config=config, instance=instance, resources=resources)
    assert result.success
    assert instance.get_dynamic_partitions("code_dumps") == ["dump-a"]
    materialized = [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()]
    assert materialized == [s.key.to_user_string() for s in WHOLE_LAKE]
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 * len(WHOLE_LAKE) and all(c.passed for c in checks)
    con = connect(lake)
    try:
        survivors = dict(con.execute("SELECT path, dump FROM exact_dedup").fetchall())
        corpus_dumps = {row[0] for row in con.execute("SELECT DISTINCT dump FROM code_corpus").fetchall()}
        who = con.execute("SELECT DISTINCT detail FROM lineage WHERE reason = 'retired'").fetchall()
    finally:
        con.close()
    assert survivors["app/util.py"] == "dump-a" and "dump-b" not in survivors.values()
    assert "dump-b" not in corpus_dumps
    assert len(who) == 1 and "data-team" in who[0][0] and "licence withdrawn" in who[0][0]
    # code_corpus is incremental: it writes a version exactly when the retirement changed its rows
    corpus_rows_after = sorted(lake.dataset("code_corpus").to_table(columns=["doc_id"]).column("doc_id").to_pylist())
    assert lake.version("code_corpus") == corpus_before + (corpus_rows_after != corpus_rows_before)
    # the landing copy is still there, but the sensor will not register it again
    from sensors.code_dumps import code_dump_sensor
    from dagster import SkipReason, build_sensor_context

    tick = code_dump_sensor(build_sensor_context(instance=instance, resources={"landing_zone": resources["landing_zone"]}))
    assert isinstance(tick, SkipReason)
