"""bench/sandbox.py: structure and agreement on a few snippets (no timing assertions)."""

from __future__ import annotations

import json

from bench.sandbox import main


def test_bench_runs_both_sides_on_the_same_snippets(sandbox, tmp_path):
    output = tmp_path / "sandbox.json"
    report = main(["--snippets", "6", "--workers", "1", "2", "--repeats", "1", "--output", str(output)])
    assert json.loads(output.read_text()) == report
    assert [row["workers"] for row in report["rows"]] == [1, 2]
    for row in report["rows"]:
        assert row["plain_verified"] == row["sandbox_verified"] == 6  # canonical solutions pass both ways
        assert row["ratio"] > 0 and row["sandbox_snippets_per_s"] > 0
