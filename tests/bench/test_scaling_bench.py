"""The scaling model: its arithmetic on fixed inputs, the CPU count of a process tree, and a tiny real run
(structure only, never timings)."""

from __future__ import annotations

import json
import math
import sys

import pytest

from bench import scaling_model as model
from bench.scaling import main, run_cpu_measured
from bench.scaling_sql import STEPS
from codelake.registry import CODE_CHAIN

MEASURED = {"bytes_per_file": 10_000.0, "share_of_transformed": {"transformed": 1.0, "filter_signals": 1.0, "code_corpus": 0.5},
            "lineage_per_file": {"transformed": 0.2}}
COSTS = {"raw_files": {"placement": "workers", "intercept_cpu_s": 2.0, "cpu_s_per_mb": 0.5},
         "code_corpus": {"placement": "driver", "intercept_cpu_s": 1.0, "cpu_s_per_mb": 0.04}}
FITS = {"exact_grouping": {"exponent": 1.0, "n_ref": 1e6, "cpu_s_ref": 2.0, "unit": "files", "runs_on": "threads"},
        "lineage_write": {"exponent": 1.2, "n_ref": 1e5, "cpu_s_ref": 0.5, "unit": "lineage_rows", "runs_on": "one"}}
A = model.Assumptions(worker_cores=2, driver_cores=8, price_per_core_hour=0.1, exact_keep=0.25, fuzzy_keep=0.8, shard_mb=1000.0,
                      parquet_file_mb=100.0, stage_start_s=10.0)


def test_fits_recover_the_line_and_the_exponent():
    assert model.fit_line([(1, 5), (2, 8), (4, 14)]) == pytest.approx((2.0, 3.0))
    assert model.fit_power_law([(n, 5 * n**1.5) for n in (1e3, 2e3, 4e3, 8e3)]) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        model.fit_line([(3, 1), (3, 2)])


def test_a_sql_step_never_grows_slower_than_its_rows():
    flat = model.sql_step_fit([{"n": 1000, "cpu_s": 1.0}, {"n": 8000, "cpu_s": 2.0}])
    assert flat["exponent_all"] == pytest.approx(1 / 3) and flat["exponent"] == 1.0
    steep = model.sql_step_fit([{"n": 1000, "cpu_s": 1.0}, {"n": 2000, "cpu_s": 2.5}, {"n": 4000, "cpu_s": 6.25}])
    assert steep["exponent"] == pytest.approx(math.log2(2.5)) and steep["n_ref"] == 4000 and steep["cpu_s_ref"] == 6.25
    assert model.sql_cpu_s(steep, 8000) == pytest.approx(6.25 * 2.5)


def test_crawl_volumes_follow_the_survival_rates():
    v = model.crawl_volumes(1e6, A, MEASURED)  # 1 TB
    assert v["files"] == pytest.approx(1e8) and v["documents"] == pytest.approx(2.5e7)
    assert v["stage_mb"]["raw_files"] == 1e6 and v["stage_mb"]["fuzzy_dedup"] == 2.5e5
    assert v["stage_mb"]["transformed"] == pytest.approx(2e5) and v["stage_mb"]["code_corpus"] == pytest.approx(1e5)
    # exact drops 75e6, fuzzy drops 5e6, transformed changes 0.2 of the 2e7 deduplicated files
    assert v["lineage_rows"] == pytest.approx(75e6 + 5e6 + 4e6)
    assert v["add_actions"] == pytest.approx((1e6 + 2e5 + 1e5) / 100.0)


def test_workers_divide_the_sharded_stages_and_never_the_driver():
    one, many = (model.model_run(1e6, n, A, COSTS, FITS, MEASURED) for n in (1, 1000))
    raw_cpu = 0.5 * 1e6 + 1000 * 2.0  # slope * MB + one start-up per 1000 MB shard
    assert one["steps"]["raw_files"]["wall_s"] == pytest.approx(10.0 + raw_cpu / 2)
    assert many["steps"]["raw_files"]["wall_s"] == pytest.approx(10.0 + raw_cpu / 2000)
    for step in ("code_corpus", "exact_grouping", "lineage_write"):
        assert one["steps"][step]["wall_s"] == many["steps"][step]["wall_s"]
    assert one["steps"]["code_corpus"]["wall_s"] == pytest.approx(0.04 * 1e5 / 8)
    assert one["steps"]["exact_grouping"]["wall_s"] == pytest.approx(2.0 * 100 / 8)  # 1e8 files, linear, over 8 cores
    assert one["steps"]["lineage_write"]["wall_s"] == pytest.approx(0.5 * (84e6 / 1e5) ** 1.2)  # one thread
    assert many["cost_usd"] == pytest.approx((2000 + 8) * many["wall_s"] / 3600 * 0.1)
    assert many["driver_share"] > one["driver_share"] and many["largest_step"] == "lineage_write"
    assert one["largest_step"] == "raw_files"


def test_past_the_crossover_the_driver_takes_longer_than_the_workers():
    n = model.workers_where_driver_dominates(1e6, A, COSTS, FITS, MEASURED)
    below, above = (model.model_run(1e6, w, A, COSTS, FITS, MEASURED) for w in (math.floor(n), math.ceil(n) + 1))
    sharded = lambda run: run["steps"]["raw_files"]["wall_s"]  # noqa: E731
    assert sharded(below) > below["driver_wall_s"] and sharded(above) < above["driver_wall_s"]
    assert model.workers_where_driver_dominates(1e6, A, COSTS, {}, {**MEASURED, "share_of_transformed": {}}) is None


def test_cpu_of_a_process_tree_counts_its_workers_reaped_or_not():
    spin = "import time\nwhile time.process_time() < 0.4: pass\n"
    reaped = f"import multiprocessing as mp\ndef spin():\n    {spin.replace(chr(10), chr(10) + '    ')}\nif __name__ == '__main__':\n    p = mp.Process(target=spin); p.start(); p.join()\n"
    assert run_cpu_measured([sys.executable, "-c", reaped], ".", None)["cpu_s"] >= 0.4
    # A worker left a zombie when its owner exits: its CPU never reaches the owner's rusage, only the samples.
    unreaped = (
        "import os, time\npid = os.fork()\n"
        f"if pid == 0:\n    {spin.replace(chr(10), chr(10) + '    ')}time.sleep(0.3)\n    os._exit(0)\n"
        "while open(f'/proc/{pid}/stat').read().split(') ')[1][0] != 'Z': time.sleep(0.02)\n"
    )
    assert run_cpu_measured([sys.executable, "-c", unreaped], ".", None)["cpu_s"] >= 0.4


def test_a_tiny_real_run_measures_every_stage_and_step(tmp_path, capsys):
    results = tmp_path / "results"
    (results).mkdir()
    (results / "web-20260101T000000Z.json").write_text(json.dumps({"codelake_cpu_s": 4.0, "warc_mb": 10.0}))
    args = ["--sizes-mb", "0.2", "--base-rows", "2000", "--multiples", "1", "2", "--repeats", "1", "--base-commit-files", "50",
            "--crawl-tb", "1", "--workers", "1", "64", "--workdir", str(tmp_path / "work"), "--results", str(results)]
    assert main(args) == 0
    out = capsys.readouterr().out
    result = json.loads(next(results.glob("scaling-*.json")).read_text())
    assert list(result["stage_costs"]) == CODE_CHAIN and all(c["cpu_s_per_mb"] > 0 for c in result["stage_costs"].values())
    assert set(result["sql_points"]) == set(STEPS) and all([p["n"] for p in pts] == sorted({p["n"] for p in pts}) for pts in result["sql_points"].values())
    assert [p["n"] for p in result["sql_points"]["fuzzy_candidates"]] == [2000, 4000]
    assert [p["n"] for p in result["sql_points"]["delta_commit"]] == [50, 100]
    runs = result["model"]["runs"]
    assert [(r["crawl_tb"], r["workers"]) for r in runs] == [(1.0, 1), (1.0, 64)]
    assert runs[1]["wall_s"] < runs[0]["wall_s"] and runs[1]["driver_wall_s"] == pytest.approx(runs[0]["driver_wall_s"])
    assert result["web"]["cpu_s_per_mb"] == pytest.approx(0.4) and len(result["model"]["web_runs"]) == 2
    assert result["corpus"]["bytes_per_file"] > 0 and result["baseline_cpu_s_per_mb"] > 0
    assert result["model"]["delta_log_bytes_per_action"] > 0 and "Delta commit" in out
    for stage in CODE_CHAIN:
        assert stage in out
    assert "largest step" in out and "load average" in out and "web branch" in out
