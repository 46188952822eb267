"""The Dagster assets over a real small dump: metadata, versions and passing checks."""

from __future__ import annotations

from dagster import DagsterInstance, materialize

from assets.code import exact_dedup, raw_files
from dumpfactory import small_repos, write_dir_dump, write_zip_dump
from resources import LakeDuckDBResource, LakeResource, LandingZoneResource, StageRunner


def test_materialize_both_dumps_then_exact_dedup_with_checks(tmp_path):
    landing = tmp_path / "landing"
    write_dir_dump(landing / "dump-a", small_repos())
    write_zip_dump(landing / "dump-b.zip", small_repos())
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("code_dumps", ["dump-a", "dump-b"])
    resources = {"lake": LakeResource(root=str(tmp_path / "lake")), "landing_zone": LandingZoneResource(path=str(landing)), "duckdb": LakeDuckDBResource(),
                 "stage_runner": StageRunner()}
    for key in ("dump-a", "dump-b"):
        result = materialize([raw_files], partition_key=key, instance=instance, resources=resources)
        assert result.success
        metadata = result.asset_materializations_for_node("raw_files")[0].metadata
        assert metadata["rows_kept"].value == 5 and metadata["rows_dropped"].value == 0
        assert "Python" in metadata["rows_by_language"].value
    assert metadata["delta_version"].value == 1
    result = materialize([raw_files, exact_dedup], selection=[exact_dedup], instance=instance, resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("exact_dedup")[0].metadata
    # 10 files, 4 distinct contents (util.py is shared by both repos and both dumps)
    assert metadata["rows_in"].value == 10 and metadata["rows_kept"].value == 4
    assert "exact_duplicate" in metadata["drops_by_reason"].value
    checks = [e for e in result.get_asset_check_evaluations()]
    assert len(checks) == 2 and all(c.passed for c in checks)


def test_conservation_check_fails_when_lineage_is_missing(tmp_path):
    from codelake.checks import conservation
    from codelake.lake import Lake, LineageSpool
    from codelake.raw_files import run_raw_files

    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, write_dir_dump(tmp_path / "dump-z", {**small_repos(), "nomanifest": {"x.py": b"1"}}))
    assert conservation(lake, "raw_files", report.version, report.rows_in, "dump-z").holds
    # a row count that disagrees with what the lake holds is caught
    assert not conservation(lake, "raw_files", report.version, report.rows_in + 1, "dump-z").holds
    # lineage lost (replaced by an empty set for that dump): the drops no longer add up
    LineageSpool("raw_files").commit(lake, report.version, dump="dump-z")
    assert not conservation(lake, "raw_files", report.version, report.rows_in, "dump-z").holds
