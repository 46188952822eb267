"""The ingest benchmark's measuring functions on a tiny dump: structure only, never timings."""

from __future__ import annotations

import json
from pathlib import Path

from dumpfactory import small_repos, write_dir_dump, write_tar_dump

from bench.ingest import bench_dumps, format_table, format_verdict, memory_ratio, plain_read_and_hash, write_results


def test_bench_measures_the_same_input_for_baseline_and_codelake(tmp_path):
    repos = small_repos()
    dumps = [write_dir_dump(tmp_path / "dumps" / "d-2024-01", repos), write_tar_dump(tmp_path / "dumps" / "d-2024-02.tar.gz", repos)]
    row = {"scale": 1, **bench_dumps(dumps, tmp_path / "work")}

    base, codelake = row["baseline"], row["codelake"]
    files_per_dump = sum(len(files) for files in repos.values())
    assert row["files"] == base["files"] == 2 * files_per_dump + 1  # + _SUCCESS of the folder dump
    assert base["data_files"] == 2 * (files_per_dump - len(repos))  # less manifests and _SUCCESS
    # codelake saw exactly the files the baseline read (bookkeeping files aside), over the same MB
    assert codelake["rows_in"] == base["data_files"]
    assert [s["stage"] for s in codelake["stages"]] == ["raw_files", "raw_files", "exact_dedup"]
    assert row["input_mb"] == base["bytes"] / 1e6 == row["input_bytes"] / 1e6
    assert abs(codelake["mb_in_reported"] - base["data_bytes"] / 1e6) < 0.1
    assert row["ratio"] == codelake["mb_per_s"] / base["mb_per_s"] > 0
    assert base["peak_rss"] > 0 and codelake["peak_rss_raw_files"] > 0 and codelake["peak_rss_exact_dedup"] > 0
    assert all(s["peak_rss"] > 0 and s["seconds"] > 0 for s in codelake["stages"])

    rows = [row, {**row, "scale": 4}]
    assert memory_ratio(rows) == 1.0
    assert "PASS" in format_verdict(memory_ratio(rows)) and "FAIL" in format_verdict(2.0)
    assert "codelake MB/s" in format_table(rows) and "WARNING" not in format_table(rows)
    path = write_results(rows, tmp_path / "results")
    assert path.name.startswith("ingest-") and path.suffix == ".json"
    doc = json.loads(path.read_text())
    assert doc["memory_ratio"] == 1.0 and doc["memory_pass"] is True
    assert doc["scales"][0]["codelake"]["rows_in"] == codelake["rows_in"]


def test_plain_read_and_hash_counts_every_regular_file(tmp_path):
    repos = small_repos()
    folder = write_dir_dump(tmp_path / "d", repos)
    archive = write_tar_dump(tmp_path / "d.tar.gz", repos, top="d")
    expected = sum(len(data) for files in repos.values() for data in files.values())
    assert plain_read_and_hash([archive])["bytes"] == expected
    assert plain_read_and_hash([folder])["bytes"] == expected  # _SUCCESS is empty


def test_run_measured_reports_peak_rss_of_the_child(tmp_path):
    import subprocess
    import sys

    # Measured from a small fresh parent: a child's ru_maxrss starts from its parent's RSS at fork time,
    # and this pytest process can be large by now.
    code = (
        "import sys; from bench.ingest import run_measured\n"
        "small = run_measured([sys.executable, '-c', 'pass'])\n"
        "big = run_measured([sys.executable, '-c', \"x = bytearray(200 * 2**20); x[::4096] = b'1' * len(x[::4096]); print('ok')\"])\n"
        "print(small.peak_rss, big.peak_rss, big.stdout.strip())\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    small, big, said = int(out[0]), int(out[1]), out[2]
    assert said == "ok"
    assert big > small + 150 * 2**20