"""The pipeline benchmark on a tiny corpus: structure only, never timings."""

from __future__ import annotations

import json

from bench.pipeline import build_python_corpus, format_table, main
from codelake.registry import CODE_CHAIN


def test_python_corpus_holds_real_files_up_to_the_cap(tmp_path):
    dump = build_python_corpus(tmp_path, max_mb=0.3)
    files = [p for p in dump.rglob("*") if p.is_file() and p.name not in (".codelake.json", "_SUCCESS")]
    assert (dump / "_SUCCESS").is_file()
    assert 0.1e6 < sum(p.stat().st_size for p in files) <= 0.3e6
    assert any(p.suffix == ".py" for p in files) and len(list(dump.glob("*/.codelake.json"))) >= 1


def test_every_stage_of_the_chain_is_measured_against_the_baseline(tmp_path, capsys):
    assert main(["--max-mb", "0.2", "--repeats", "1", "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "results")]) == 0
    out = capsys.readouterr().out
    for stage in CODE_CHAIN:
        assert stage in out
    assert "read + SHA-256" in out and "chain / baseline speed" in out and "load average" in out
    result = json.loads(next((tmp_path / "results").glob("pipeline-*.json")).read_text())
    stages = result["stages"]
    assert [s["stage"] for s in stages] == CODE_CHAIN
    assert abs(sum(s["share"] for s in stages) - 1) < 1e-9
    assert abs(result["chain"]["seconds"] - sum(s["seconds"] for s in stages)) < 1e-6
    assert all(0 < s["own_seconds"] <= s["seconds"] for s in stages)  # the stage's own time excludes start-up
    assert result["ratio_chain_to_baseline"] == result["chain"]["mb_per_s"] / result["baseline"]["mb_per_s"] > 0
    assert result["files"] > 10 and result["input_mb"] <= 0.21
    assert "whole chain" in format_table(result)
    one = result["one_process"]
    assert len(one["runs"]) == 1 and one["mb_per_s"] == result["input_mb"] / one["seconds"] > 0
    assert "one process" in out and f"--from {CODE_CHAIN[0]}" in out
