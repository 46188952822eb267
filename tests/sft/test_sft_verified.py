"""sft_verified: code blocks parsed per language, unparsable samples dropped, tests run in the sandbox."""

from __future__ import annotations

import shutil

import pytest
from dagster import DagsterInstance, materialize

from assets.sft import sft_raw, sft_verified
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.sandbox import Sandbox
from codelake.sft_raw import run_sft_raw
from codelake.sft_raw.landing import find_instruction_set
from codelake.sft_verified.parse import parse_block
from codelake.sft_verified.stage import run_sft_verified
from instructionfactory import chat, python_answer, write_set
from resources import LakeDuckDBResource, LakeResource, SandboxResource

ADD = "def add(a, b):\n    return a + b"
RECORDS = [
    {**chat("add", python_answer(ADD)), "id": "passes", "tests": ["assert add(2, 3) == 5"]},
    {**chat("add", python_answer(ADD + "\n\nassert add(1, 1) == 3")), "id": "fails"},
    {**chat("add", python_answer("def add(a, b)\n    return a + b")), "id": "bad-python"},
    {**chat("js", "```js\nfunction f( { return 1 }\n```"), "id": "bad-js"},
    {**chat("rust", "```rust\nfn main() { println!(\"hi\"); }\n```\n```text\nhi\n```"), "id": "rust"},
    {**chat("test fn", python_answer(ADD + "\n\ndef test_add():\n    assert add(1, 2) == 3")), "id": "test-fn"},
    {**chat("no tests", python_answer(ADD)), "id": "untested"},
    {**chat("loop", python_answer("while True:\n    pass\nassert True")), "id": "loops"},
    {**chat("session", "```python\n>>> 1 + 1\n2\n```"), "id": "session"},
]


def test_parsers_per_language():
    assert parse_block("python", ADD).ok and not parse_block("python", "print 'py2'").ok
    assert parse_block("python", ">>> x = [1,\n... 2]\n>>> x\n[1, 2]").ok
    assert parse_block("go", "package main\nfunc main() {}\n").ok
    bad = parse_block("java", "class A { void f() { int x = ; } }")
    assert not bad.ok and bad.error.startswith("line 1")
    assert not parse_block("cpp", "int main() {\n  return 0\n").ok


@pytest.fixture(scope="module")
def sandbox():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap not installed: run `make sandbox-deps`")
    return Sandbox(isolation="bwrap")


def _raw_lake(tmp_path) -> Lake:
    landing = tmp_path / "instructions"
    write_set(landing, "stage2", "verify", {"v.jsonl": RECORDS})
    lake = Lake(tmp_path / "lake")
    run_sft_raw(lake, find_instruction_set(landing, "stage2.verify"))
    return lake


def test_unparsable_samples_drop_and_tests_run_in_the_sandbox(tmp_path, sandbox):
    lake = _raw_lake(tmp_path)
    report = run_sft_verified(lake, sandbox, timeout_seconds=2.0)
    assert report.rows_in == len(RECORDS) and dict(report.drops_by_reason) == {"unparsable_code": 2}
    con = connect(lake)
    executions = dict(con.execute("SELECT record_id, execution FROM sft_verified").fetchall())
    assert executions == {"passes": "passed", "fails": "failed", "rust": "no_tests", "test-fn": "passed", "untested": "no_tests",
                          "loops": "timeout", "session": "no_tests"}
    blocks = con.execute("SELECT code_blocks, parsed_blocks, unchecked_blocks FROM sft_verified WHERE record_id = 'rust'").fetchone()
    assert blocks == (2, 1, 1)
    failed = con.execute("SELECT execution_detail FROM sft_verified WHERE record_id = 'fails'").fetchone()[0]
    assert "AssertionError" in failed
    drops = dict(con.execute("SELECT r.record_id, l.detail FROM lineage l JOIN sft_raw r USING (doc_id) WHERE l.stage = 'sft_verified'").fetchall())
    assert set(drops) == {"bad-python", "bad-js"}
    assert "(python)" in drops["bad-python"] and "line 1" in drops["bad-python"] and "(javascript)" in drops["bad-js"]
    con.close()


def test_without_a_sandbox_tests_are_marked_not_run(tmp_path):
    lake = _raw_lake(tmp_path)
    run_sft_verified(lake, None)
    con = connect(lake)
    marks = dict(con.execute("SELECT record_id, execution FROM sft_verified").fetchall())
    assert marks["passes"] == marks["fails"] == "not_run" and marks["untested"] == "no_tests"
    con.close()


def test_asset_with_the_sandbox_resource_and_checks(tmp_path, monkeypatch, sandbox):
    monkeypatch.setenv("CODELAKE_HOME", str(tmp_path / "home"))
    write_set(tmp_path / "home" / "landing" / "instructions", "stage2", "verify", {"v.jsonl": RECORDS[:3]})
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("instruction_sets", ["stage2.verify"])
    resources = {"lake": LakeResource(root=str(tmp_path / "lake")), "duckdb": LakeDuckDBResource(), "sandbox": SandboxResource()}
    assert materialize([sft_raw], partition_key="stage2.verify", instance=instance, resources=resources).success
    result = materialize([sft_raw, sft_verified], selection=[sft_verified], instance=instance, resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("sft_verified")[0].metadata
    assert metadata["rows_in"].value == 3 and metadata["rows_kept"].value == 2
    assert "passed" in metadata["executions"].value and "failed" in metadata["executions"].value
    assert all(c.passed for c in result.get_asset_check_evaluations())
