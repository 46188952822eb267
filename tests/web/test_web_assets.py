"""The web assets through Dagster: partitioned web_pages with its checks passing, in the `web` group."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance, materialize

from assets.web import WEB_ASSETS, web_pages
from resources import LakeDuckDBResource, LakeResource, LandingZoneResource
from warcfactory import Other, Response, page, write_warc


def _resources(tmp_path):
    return {
        "lake": LakeResource(root=str(tmp_path / "lake")),
        "landing_zone": LandingZoneResource(path=str(tmp_path / "code"), web_path=str(tmp_path / "web"), settle_seconds=0),
        "duckdb": LakeDuckDBResource(),
    }


def test_web_pages_materializes_a_partition_with_passing_checks(tmp_path):
    write_warc(tmp_path / "web" / "crawl-1.warc.gz", [
        Other("warcinfo"),
        Response.html("https://docs.example/a", page("A", "text", "x = 1")),
        Response.html("https://docs.example/b", page("B"), status="404 Not Found"),
    ])
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("web_dumps", ["crawl-1"])
    result = materialize([web_pages], partition_key="crawl-1", instance=instance, resources=_resources(tmp_path))
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["rows_in"].value == 2 and metadata["rows_kept"].value == 1 and metadata["rows_dropped"].value == 1
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"rows_conserved": True, "unique_doc_ids": True}
    assert all(a.group_names_by_key[k] == "web" for a in WEB_ASSETS for k in a.keys)
    assert web_pages.partitions_def.name == "web_dumps" and AssetKey("web_pages") in web_pages.keys


def test_web_text_follows_web_pages_and_is_automated(tmp_path):
    from dagster import AssetSelection

    from assets.web import web_text
    from definitions import defs
    from sensors.automation import AUTOMATED_GROUPS

    write_warc(tmp_path / "web" / "crawl-1.warc.gz", [Response.html("https://docs.example/a", page("A", "Some words about paths here.", "x = 1"))])
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("web_dumps", ["crawl-1"])
    resources = _resources(tmp_path)
    assert materialize([web_pages], partition_key="crawl-1", instance=instance, resources=resources).success
    result = materialize([web_pages, web_text], selection=[web_text], instance=instance, resources=resources)
    assert result.success and all(e.passed for e in result.get_asset_check_evaluations())
    graph = defs.resolve_asset_graph()
    assert "web" in AUTOMATED_GROUPS and graph.get(AssetKey("web_text")).automation_condition is not None
    assert AssetKey("web_text") in AssetSelection.groups(*AUTOMATED_GROUPS).resolve(graph)
