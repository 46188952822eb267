"""The data stages on a real local Ray cluster give the same tables and lineage as on this machine.

The same two dumps go through the code chain twice, through the Dagster assets: once with the local
StageRunner, once with a StageRunner pointed at the cluster's dashboard (raw_files, fuzzy_dedup,
transformed and filter_signals submitted as Ray jobs through dagster-ray's Pipes client, their batches
as Ray tasks that write their own Parquet files, committed once by the job). Every table of both lakes,
lineage included, must be identical row for row, at the same versions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from dagster import DagsterInstance, materialize

from assets.code import code_corpus, exact_dedup, filter_signals, filtered, fuzzy_dedup, raw_files, transformed
from codelake.lake import Lake
from dumpfactory import manifest, write_dir_dump, write_zip_dump
from resources import LakeDuckDBResource, LakeResource, LandingZoneResource, StageRunner

pytestmark = pytest.mark.ray

STDLIB = Path(os.__file__).parent
WHOLE_LAKE = [exact_dedup, fuzzy_dedup, transformed, filter_signals, filtered, code_corpus]
# Small batches: each stage's input is cut into several shards, so several Ray tasks run per stage.
RUN_CONFIG = {"ops": {"fuzzy_dedup": {"config": {"batch_docs": 16}}, "transformed": {"config": {"batch_rows": 8}}}}


def _dumps(landing: Path) -> list[str]:
    """Two dumps of real files: exact copies across dumps, near copies (a line changed), a licence
    header, an e-mail address, files the filters drop (a tiny one, a data-like one)."""
    files = sorted(p for p in (STDLIB / "json").glob("*.py")) + sorted(p for p in STDLIB.glob("c*.py") if p.stat().st_size < 40_000)[:14]
    texts = {f"{p.parent.name}/{p.name}": p.read_bytes() for p in files}
    names = sorted(texts)
    first = {n: texts[n] for n in names[: len(names) * 2 // 3]}
    second = {n: texts[n] for n in names[len(names) // 3:]}
    for n in names[len(names) // 3: len(names) // 2]:  # near copies in the second dump
        second[n] = texts[n].replace(b"\n", b"\n# touched\n", 1)
    special = {
        "lic.py": b"# Copyright (c) 2020 Example Corp.\n# Licensed under the MIT License.\n\ndef f():\n    return 1\n",
        "mail.py": b"AUTHOR = 'jane.doe@example.com'\n\ndef author():\n    return AUTHOR\n",
        "tiny.py": b"x = 1\n",
        "data.py": b"VALUES = [" + b", ".join(str(i).encode() for i in range(3000)) + b"]\n",
    }
    write_dir_dump(landing / "dump-a", {"alice__lib": {".codelake.json": manifest("alice/lib", stars=20), **first, **special}})
    write_zip_dump(landing / "dump-b.zip", {"bob__fork": {".codelake.json": manifest("bob/fork", stars=5, last_commit="2024-08-01T00:00:00Z"), **second},
                                            "carol__misc": {".codelake.json": manifest("carol/misc"), **special}})
    return ["dump-a", "dump-b"]


def _build(tmp: Path, landing: Path, runner: StageRunner) -> Lake:
    instance = DagsterInstance.ephemeral()
    keys = ["dump-a", "dump-b"]
    instance.add_dynamic_partitions("code_dumps", keys)
    resources = {"lake": LakeResource(root=str(tmp / "lake")), "landing_zone": LandingZoneResource(path=str(landing)),
                 "duckdb": LakeDuckDBResource(), "stage_runner": runner}
    for key in keys:
        assert materialize([raw_files], partition_key=key, instance=instance, resources=resources).success
    result = materialize([raw_files, *WHOLE_LAKE], selection=WHOLE_LAKE, instance=instance, resources=resources, run_config=RUN_CONFIG)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    return Lake(tmp / "lake")


def _sorted(table: pa.Table) -> pa.Table:
    keys = [(c, "ascending") for c in table.column_names if not pa.types.is_binary(table.schema.field(c).type)
            and not pa.types.is_list(table.schema.field(c).type)]
    return table.sort_by(keys)


def test_cluster_run_gives_identical_tables_and_lineage(tmp_path, ray_cluster):
    from ray.job_submission import JobStatus, JobSubmissionClient

    landing = tmp_path / "landing"
    _dumps(landing)
    local = _build(tmp_path / "local", landing, StageRunner())
    cluster = _build(tmp_path / "cluster", landing, StageRunner(ray_address=ray_cluster.dashboard, python=sys.executable, poll_seconds=0.5))

    jobs = JobSubmissionClient(ray_cluster.dashboard).list_jobs()
    ran = sorted(j.entrypoint.split('"stage": "')[1].split('"')[0] for j in jobs if "codelake.compute.stage_job" in j.entrypoint)
    assert ran == ["filter_signals", "fuzzy_dedup", "raw_files", "raw_files", "transformed"]
    assert all(j.status == JobStatus.SUCCEEDED for j in jobs)

    names = local.table_names()
    assert names == cluster.table_names()
    assert {"raw_files", "fuzzy_signatures", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "lineage"} <= set(names)
    for name in names:
        ours, theirs = _sorted(local.dataset(name).to_table()), _sorted(cluster.dataset(name).to_table())
        assert ours.num_rows > 0, name
        assert ours.equals(theirs), f"{name}: the Ray run's table differs from the local run's"
        assert local.version(name) == cluster.version(name), name
    for name in ("fuzzy_signatures", "transformed"):  # more batches than dumps: the Ray tasks wrote their batches' files themselves
        assert len(cluster.table(name).file_uris()) > len(local.table(name).file_uris()), name
    lineage = local.dataset("lineage").to_table().to_pydict()
    # the dumps exercise every kind of decision the chain makes
    assert {("exact_dedup", "drop"), ("fuzzy_dedup", "drop"), ("transformed", "change"), ("filtered", "drop")} <= set(zip(lineage["stage"], lineage["action"]))
