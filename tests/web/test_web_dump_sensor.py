"""The web landing-zone sensor: WARC files and folders of them become web_dumps partitions once complete."""

from __future__ import annotations

import os
import time

from dagster import DagsterInstance, SkipReason, build_sensor_context

from resources import LandingZoneResource
from sensors.web_dumps import web_dump_sensor
from warcfactory import Response, page, write_warc


def evaluate(instance, landing, settle=30.0):
    resources = {"landing_zone": LandingZoneResource(path=str(landing.parent / "code"), web_path=str(landing), settle_seconds=settle)}
    result = web_dump_sensor(build_sensor_context(instance=instance, resources=resources))
    if isinstance(result, SkipReason) or result is None:
        return [], result
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return [(r.partition_key, r.run_key) for r in result.run_requests], result


def test_complete_web_dumps_register_once_and_copies_in_progress_wait(tmp_path):
    landing = tmp_path / "web"
    records = [Response.html("https://a.example/", page("a"))]
    write_warc(landing / "crawl-a.warc.gz", records)
    old = time.time() - 120
    os.utime(landing / "crawl-a.warc.gz", (old, old))
    fresh = landing / "crawl-b.warc"
    write_warc(fresh, records, gz=False)  # just written: still settling
    write_warc(landing / "crawl-c" / "part-0.warc.gz", records)  # a folder without _SUCCESS yet
    write_warc(landing / "crawl-d.warc.gz.part", records)  # a copy in progress, never a dump
    (landing / "notes.txt").write_text("not a dump")
    instance = DagsterInstance.ephemeral()
    keys, _ = evaluate(instance, landing)
    assert keys == [("crawl-a", "web_dump:crawl-a")]
    assert evaluate(instance, landing)[0] == []
    (landing / "crawl-c" / "_SUCCESS").write_bytes(b"")
    os.utime(fresh, (old, old))
    keys, _ = evaluate(instance, landing)
    assert [k for k, _ in keys] == ["crawl-b", "crawl-c"]
    assert sorted(instance.get_dynamic_partitions("web_dumps")) == ["crawl-a", "crawl-b", "crawl-c"]
    assert instance.get_dynamic_partitions("code_dumps") == []


def test_two_entries_with_one_name_are_ambiguous(tmp_path):
    landing = tmp_path / "web"
    write_warc(landing / "twin.warc.gz", [Response.html("https://a.example/", page("a"))])
    write_warc(landing / "twin.warc", [Response.html("https://a.example/", page("a"))], gz=False)
    keys, skip = evaluate(DagsterInstance.ephemeral(), landing, settle=0)
    assert keys == [] and isinstance(skip, SkipReason)
