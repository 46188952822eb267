"""bench/tokenize runs both sides on the same texts and writes its figures (small corpus: the path, not the speed)."""

from __future__ import annotations

import json

from bench import tokenize as bench


def test_bench_builds_shards_of_the_same_texts_and_reports_both_sides(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path)
    assert bench.main(["--files", "80", "--repeats", "1", "--scales", "1", "2"]) == 0
    result = json.loads(next(tmp_path.glob("tokenize-*.json")).read_text())
    assert result["files"] == 80 and result["plain_tokens_per_s"] > 0 and result["shard_tokens_per_s"] > 0
    assert result["ratio"] == result["shard_tokens_per_s"] / result["plain_tokens_per_s"]
    assert set(result["memory"]) == {"1", "2"} and result["memory"]["2"]["tokens"] > 1.5 * result["memory"]["1"]["tokens"]
    assert "ratio codelake / plain" in capsys.readouterr().out
