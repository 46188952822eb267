"""Instruction sets: the landing zone, the sensor, and sft_raw (normalized rows, drops with file:line)."""

from __future__ import annotations

import json

import pyarrow as pa
from dagster import DagsterInstance, SkipReason, build_sensor_context, materialize

from assets.sft import sft_raw
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.sft_raw import count_instruction_records, run_sft_raw, scan_instructions
from codelake.sft_raw.landing import find_instruction_set
from instructionfactory import chat, python_answer, write_set
from resources import LakeDuckDBResource, LakeResource
from sensors.instructions import instruction_sensor

GOOD = chat("Write add", python_answer("def add(a, b):\n    return a + b"))


def mixed_records():
    return [
        GOOD,
        "{not json",
        {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "```rust\nfn main() {}\n```"}]},
        {"instruction": "Explain", "input": "", "output": "It works."},
        {"prompt": "p", "completion": ""},
        {"title": "no format"},
        {"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]},
    ]


def test_landing_zone_readiness_and_manifest_errors(tmp_path):
    landing = tmp_path / "instructions"
    write_set(landing, "stage1", "ready", {"a.jsonl": [GOOD]})
    write_set(landing, "stage2", "copying", {"a.jsonl": [GOOD]}, complete=False)
    write_set(landing, "stage1", "bad name!", {"a.jsonl": [GOOD]})
    (landing / "stage3").mkdir()
    ready, waiting = scan_instructions(landing)
    assert [s.key for s in ready] == ["stage1.ready"]
    why = {w.path.name: w.why for w in waiting}
    assert "_SUCCESS" in why["copying"] and "must match" in why["bad name!"] and "stage folder" in why["stage3"]
    # a manifest declaring another stage than its folder is refused, naming the file
    folder = write_set(landing, "stage2", "liar", {"a.jsonl": [GOOD]})
    (folder / "manifest.json").write_text(json.dumps({"source": "x", "license": None, "stage": "stage1"}))
    try:
        find_instruction_set(landing, "stage2.liar").manifest()
        raise AssertionError("expected a manifest error")
    except ValueError as err:
        assert "manifest.json" in str(err) and "stage1" in str(err)
    (folder / "manifest.json").write_text(json.dumps({"source": "x", "stage": "stage2"}))
    try:
        find_instruction_set(landing, "stage2.liar").manifest()
        raise AssertionError("expected a manifest error")
    except ValueError as err:
        assert "license" in str(err)


def test_sft_raw_normalizes_and_records_each_drop_with_its_line(tmp_path):
    landing = tmp_path / "instructions"
    table = pa.table({"prompt": ["p1", "p2"], "completion": ["c1", "```python\nx = 1\n```"]})
    write_set(landing, "stage2", "mix", {"mixed.jsonl": mixed_records(), "sub/rows.parquet": table, "README.md": b"notes"}, source="src", license="Apache-2.0")
    instruction_set = find_instruction_set(landing, "stage2.mix")
    lake = Lake(tmp_path / "lake")
    report = run_sft_raw(lake, instruction_set)
    assert count_instruction_records(instruction_set) == report.rows_in == 9
    assert report.rows_kept == 5
    assert dict(report.drops_by_reason) == {"malformed_json": 1, "empty_turn": 1, "no_format": 1, "broken_role_order": 1}
    assert report.tables["ignored_files"][0]["file"] == "README.md"
    con = connect(lake)
    drops = dict(con.execute("SELECT path, reason FROM lineage WHERE stage = 'sft_raw'").fetchall())
    assert drops == {"mixed.jsonl:2": "malformed_json", "mixed.jsonl:5": "empty_turn", "mixed.jsonl:6": "no_format", "mixed.jsonl:7": "broken_role_order"}
    rows = con.execute("SELECT path, format, language, stage, source, license FROM sft_raw ORDER BY path").fetchall()
    assert rows == [
        ("mixed.jsonl:1", "messages", "python", "stage2", "src", "Apache-2.0"),
        ("mixed.jsonl:3", "conversations", "rust", "stage2", "src", "Apache-2.0"),
        ("mixed.jsonl:4", "alpaca", "text", "stage2", "src", "Apache-2.0"),
        ("sub/rows.parquet:1", "prompt_completion", "text", "stage2", "src", "Apache-2.0"),
        ("sub/rows.parquet:2", "prompt_completion", "python", "stage2", "src", "Apache-2.0"),
    ]
    # re-running replaces the partition: same ids, no duplicates
    again = run_sft_raw(lake, instruction_set)
    assert again.rows_kept == 5 and con.execute("SELECT count(*) FROM sft_raw").fetchone()[0] == 5
    con.close()


def test_sensor_registers_sets_once_and_the_asset_materializes_with_passing_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELAKE_HOME", str(tmp_path / "home"))
    landing = tmp_path / "home" / "landing" / "instructions"
    write_set(landing, "stage1", "alpha", {"a.jsonl": mixed_records()})
    write_set(landing, "stage2", "beta", {"b.jsonl": [GOOD]}, complete=False)
    instance = DagsterInstance.ephemeral()

    def evaluate():
        result = instruction_sensor(build_sensor_context(instance=instance))
        if isinstance(result, SkipReason) or result is None:
            return []
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        return [r.partition_key for r in result.run_requests]

    assert evaluate() == ["stage1.alpha"]
    assert evaluate() == []
    (landing / "stage2" / "beta" / "_SUCCESS").write_text("")
    assert evaluate() == ["stage2.beta"]
    resources = {"lake": LakeResource(root=str(tmp_path / "lake")), "duckdb": LakeDuckDBResource()}
    result = materialize([sft_raw], partition_key="stage1.alpha", instance=instance, resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("sft_raw")[0].metadata
    assert metadata["rows_in"].value == 7 and metadata["rows_kept"].value == 3 and metadata["source"].value == "test-source"
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 and all(c.passed for c in checks)
