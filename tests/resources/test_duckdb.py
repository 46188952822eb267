"""The `duckdb` resource (dagster-duckdb's DuckDBResource): its settings reach every connection the SQL
of the code assets opens, they can be overridden at launch, and results do not depend on it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import duckdb
from dagster import DagsterInstance, materialize
from dagster_duckdb import DuckDBResource

from assets.code import exact_dedup, raw_files
from codelake.exact_dedup import run_exact_dedup
from codelake.lake import Lake
from codelake.lake.catalog import catalog_path
from codelake.lake.sql import DuckDBSettings
from codelake.raw_files import run_raw_files
from dumpfactory import small_repos, write_dir_dump
from resources import LakeDuckDBResource, LakeResource, LandingZoneResource, StageRunner, resources_for_deployment

SETTINGS = "SELECT current_setting('memory_limit'), current_setting('threads')::VARCHAR, current_setting('temp_directory')"


class RecordingDuckDB(LakeDuckDBResource):
    """The real resource, recording the settings of every connection it opens."""

    opened: ClassVar[list[tuple]] = []

    def open_connection(self) -> duckdb.DuckDBPyConnection:
        con = super().open_connection()
        RecordingDuckDB.opened.append(con.execute(SETTINGS).fetchone())
        return con


def test_the_resource_hands_out_connections_with_its_settings_and_delta(tmp_path):
    resource = LakeDuckDBResource(memory_limit="300MB", threads=1, temp_directory=str(tmp_path / "spill"))
    assert isinstance(resource, DuckDBResource)
    with resource.get_connection() as con:
        memory, threads, spill = con.execute(SETTINGS).fetchone()
        assert memory == "286.1 MiB" and threads == "1" and Path(spill).parent == tmp_path / "spill"
        assert con.execute("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'delta'").fetchone() == (True,)
    factory = resource.connection_factory()
    first, second = factory(), factory()
    assert first is not second and first.execute("SELECT current_setting('threads')").fetchone() == (1,)
    # each connection spills into a folder of its own: two sharing one overwrite each other's spill files
    first_spill, second_spill = (c.execute("SELECT current_setting('temp_directory')").fetchone()[0] for c in (first, second))
    assert first_spill != second_spill and Path(first_spill).parent == Path(second_spill).parent == tmp_path / "spill"
    first.close()
    second.close()


def test_connections_spilling_at_once_read_back_their_own_data(tmp_path):
    """Two connections sorting more than their memory at the same time, in one spill directory: each reads
    back exactly its own rows (with one shared folder, DuckDB's spill files collided)."""
    settings = DuckDBSettings(memory_limit="64MB", threads=1, temp_directory=str(tmp_path / "spill"))
    query = "SELECT sum(hash(s || i)) FROM (SELECT i, md5(i::VARCHAR || $salt) AS s FROM range(1500000) t(i) ORDER BY s)"
    expected = {}
    for salt in ("a", "b"):
        con = duckdb.connect(":memory:", config={"threads": 1})
        expected[salt] = con.execute(query, {"salt": salt}).fetchone()[0]
        con.close()

    def run(salt: str) -> int:
        con = duckdb.connect(":memory:", config=settings.config())
        try:
            return con.execute(query, {"salt": salt}).fetchone()[0]
        finally:
            con.close()

    with ThreadPoolExecutor(2) as pool:
        assert dict(zip(("a", "b"), pool.map(run, ("a", "b")))) == expected


def test_the_local_deployment_registers_it_under_duckdb():
    resources = resources_for_deployment("local")
    assert isinstance(resources["duckdb"], LakeDuckDBResource) and resources["duckdb"].database == ":memory:"


def test_assets_run_their_sql_on_the_resource_configured_at_launch(tmp_path):
    landing = tmp_path / "landing"
    write_dir_dump(landing / "dump-a", small_repos())
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("code_dumps", ["dump-a"])
    lake_root = tmp_path / "lake"
    resources = {
        "lake": LakeResource(root=str(lake_root)),
        "landing_zone": LandingZoneResource(path=str(landing)),
        "duckdb": RecordingDuckDB(memory_limit="1GB"),  # as deployed: fully configured, overridden per run
        "stage_runner": StageRunner(),
    }
    # as the launchpad would: the resource's config in the run config
    run_config = {"resources": {"duckdb": {"config": {"memory_limit": "256MB", "threads": 1, "temp_directory": str(tmp_path / "spill")}}}}
    RecordingDuckDB.opened.clear()
    assert materialize([raw_files], partition_key="dump-a", instance=instance, resources=resources, run_config=run_config).success
    after_raw_files = len(RecordingDuckDB.opened)
    result = materialize([raw_files, exact_dedup], selection=[exact_dedup], instance=instance, resources=resources, run_config=run_config)
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    assert after_raw_files == 2  # raw_files' two checks
    assert len(RecordingDuckDB.opened) - after_raw_files == 3  # exact_dedup's window query and its two checks
    assert {(memory, threads, Path(spill).parent) for memory, threads, spill in RecordingDuckDB.opened} == {("244.1 MiB", "1", tmp_path / "spill")}
    # the catalog beside the lake was refreshed with the materialization, and says so in the metadata
    metadata = result.asset_materializations_for_node("exact_dedup")[0].metadata
    assert metadata["sql_catalog"].value == str(catalog_path(Lake(lake_root)))
    con = duckdb.connect(metadata["sql_catalog"].value, read_only=True, config={"extension_directory": str(tmp_path / "duckdb_extensions")})
    assert sorted(r[0] for r in con.execute("SHOW TABLES").fetchall()) == ["exact_dedup", "lineage", "raw_files"]
    con.close()


def test_a_connection_factory_changes_where_sql_runs_not_what_it_decides(tmp_path):
    dump = write_dir_dump(tmp_path / "dump-a", small_repos())
    results = []
    for name, factory in [("default", None), ("resource", LakeDuckDBResource(memory_limit="128MB", threads=1).connection_factory())]:
        lake = Lake(tmp_path / name)
        run_raw_files(lake, dump)
        report = run_exact_dedup(lake, connections=factory)
        kept = sorted(lake.dataset("exact_dedup").to_table(columns=["doc_id", "copies"]).to_pylist(), key=lambda r: r["doc_id"])
        results.append((report.rows_kept, dict(report.drops_by_reason), kept))
    assert results[0] == results[1] and results[0][0] > 0
