"""The landing-zone sensor registers each complete dump once and waits for dumps still being copied."""

from __future__ import annotations

import os
import time

from dagster import DagsterInstance, SkipReason, build_sensor_context

from codelake.dumps.landing import scan_landing_zone
from dumpfactory import small_repos, write_dir_dump, write_tar_dump
from resources import LandingZoneResource
from sensors.code_dumps import code_dump_sensor


def evaluate(instance, landing, settle=30.0):
    context = build_sensor_context(instance=instance, resources={"landing_zone": LandingZoneResource(path=str(landing), settle_seconds=settle)})
    result = code_dump_sensor(context)
    if isinstance(result, SkipReason) or result is None:
        return [], result
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return [r.partition_key for r in result.run_requests], result


def test_complete_dumps_register_once_and_copies_in_progress_wait(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    instance = DagsterInstance.ephemeral()
    write_dir_dump(landing / "dump-a", small_repos())
    write_dir_dump(landing / "dump-b", small_repos(), complete=False)  # no _SUCCESS yet
    fresh = write_tar_dump(landing / "dump-c.tar.gz", small_repos())  # just written
    (landing / "dump-d.tar.gz.part").write_bytes(b"partial")
    keys, _ = evaluate(instance, landing)
    assert keys == ["dump-a"]
    keys, skip = evaluate(instance, landing)
    assert keys == [] and isinstance(skip, SkipReason)
    (landing / "dump-b" / "_SUCCESS").write_bytes(b"")
    old = time.time() - 120
    os.utime(fresh, (old, old))
    keys, _ = evaluate(instance, landing)
    assert keys == ["dump-b", "dump-c"]
    assert evaluate(instance, landing)[0] == []
    assert sorted(instance.get_dynamic_partitions("code_dumps")) == ["dump-a", "dump-b", "dump-c"]


def test_ambiguous_and_invalid_names_are_skipped_with_a_reason(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    write_dir_dump(landing / "twin", small_repos())
    write_tar_dump(landing / "twin.tar", small_repos())
    write_dir_dump(landing / "bad name!", small_repos())
    ready, skipped = scan_landing_zone(landing, settle_seconds=0)
    assert ready == []
    reasons = {s.path.name: s.why for s in skipped}
    assert "ambiguous" in reasons["twin"] and "ambiguous" in reasons["twin.tar"]
    assert "must match" in reasons["bad name!"]
