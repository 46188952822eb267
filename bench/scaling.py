"""Scaling model: measured per-MB CPU costs and SQL growth, extrapolated to 1 TB and 100 TB of crawl on N workers.

    python -m bench.scaling [--sizes-mb 8 64] [--base-rows 50000] [--multiples 1 2 4 8] [--workers 1 16 128 1024]
                            [--worker-cores 2] [--driver-cores 16] [--price 0.05] [--workdir DIR]

Measured on this machine, in CPU seconds (the machine is shared: CPU seconds move far less with load than wall):
1. Every stage of the registry's code chain (codelake/registry.py) through `codelake run`, as a user runs it, on
   corpora of real files of two sizes (bench.pipeline's builder); CPU of each subprocess tree, workers included.
   A line per stage, start-up CPU + slope * MB of the stage's input, gives its per-MB cost. Plain read + SHA-256
   of the same files is the baseline, in the same run.
2. The driver's SQL steps (bench.scaling_sql: exact grouping, fuzzy candidate joins over band keys, label
   propagation, survivor choice, lineage write, the single Delta commit) through the real codelake functions on
   synthetic keys at base x each multiple; a power law per step gives its growth exponent.
3. The web branch's read + extract + classify: CPU per MB of WARC from the newest bench/results/web-*.json
   (`python -m bench.web` writes it; that benchmark takes minutes, so it is read, not rerun).

Then bench.scaling_model extrapolates wall time and cost for each crawl size x worker count, under the
assumptions printed with it (worker and driver size, price per core-hour, dedup survival rates), names the
largest step and the worker count past which the driver's steps dominate. Results go to
bench/results/scaling-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench import scaling_model as model
from bench.ingest import MB, RESULTS_DIR, _env
from bench.pipeline import build_python_corpus
from bench.run_record import load_line, publish
from bench.scaling_sql import STEPS, measure_sql_steps
from codelake.lake import Lake
from codelake.registry import CODE_CHAIN

# Where each chain stage runs in the cluster deployment: the per-file work as Ray tasks over shards; the
# whole-table stages on the driver. exact_dedup's and fuzzy_dedup's driver parts are the SQL steps, measured
# apart; fuzzy_dedup's per-MB cost (signatures, plus a clustering that is small at corpus size) is the workers'.
PLACEMENT = {"raw_files": "workers", "exact_dedup": "sql", "fuzzy_dedup": "workers", "transformed": "workers",
             "filter_signals": "workers", "filtered": "driver", "code_corpus": "driver"}
_MB_IN = re.compile(r"^([\d,.]+) MB in ", re.M)
_POLL_S = 0.05


def run_cpu_measured(cmd: list[str], cwd: Path, env: dict) -> dict:
    """CPU seconds (user + system) of `cmd`'s whole process tree and its wall seconds. The kernel's count of the
    process and the children it reaped (os.wait4), or, when larger, the sum of every process of the tree as
    last sampled (workers that die with their owner unreaped are counted there). Raises when it fails."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        seen: dict[int, float] = {}
        done = threading.Event()

        def sample() -> None:
            try:
                root = psutil.Process(proc.pid)
                while not done.is_set():
                    for p in [root, *root.children(recursive=True)]:
                        try:
                            t = p.cpu_times()
                            seen[p.pid] = t.user + t.system
                        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                            pass
                    done.wait(_POLL_S)
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{stderr[-3000:]}")
    return {"cpu_s": max(usage.ru_utime + usage.ru_stime, sum(seen.values())), "wall_s": wall, "stdout": stdout, "stderr": stderr}


def measure_chain(dump: Path, lake: Path, workdir: Path) -> dict:
    """Each stage of the code chain through `codelake run` into a fresh lake: CPU and wall seconds, MB in;
    then what the lake holds: files and bytes of raw_files, lineage rows per stage and action."""
    shutil.rmtree(lake, ignore_errors=True)
    cli = [sys.executable, "-m", "codelake.cli.main", "run"]
    stages = {}
    for stage in CODE_CHAIN:
        source = str(dump) if stage == "raw_files" else str(lake)
        m = run_cpu_measured([*cli, stage, "--input", source, "--output", str(lake)], workdir, _env())
        mb_in = _MB_IN.search(m["stderr"]) or _MB_IN.search(m["stdout"])
        if mb_in is None:
            raise RuntimeError(f"codelake run {stage}: no 'MB in' line in its output")
        stages[stage] = {"cpu_s": m["cpu_s"], "wall_s": m["wall_s"], "mb_in": float(mb_in.group(1).replace(",", ""))}
    # raw_files skips files of no supported language or over the size cap without reading them (the corpus's
    # binaries): its work is the MB it reads and keeps, exact_dedup's input.
    stages[CODE_CHAIN[0]]["mb_work"] = stages[CODE_CHAIN[1]]["mb_in"]
    opened = Lake(lake)
    raw = opened.dataset("raw_files").to_table(columns=["size"])
    lineage = opened.dataset("lineage").to_table(columns=["stage", "action"]).group_by(["stage", "action"]).aggregate([("stage", "count")])
    return {"stages": stages, "files": raw.num_rows, "bytes": sum(raw.column("size").to_pylist()),
            "lineage": {f"{s}:{a}": n for s, a, n in zip(*(lineage.column(c).to_pylist() for c in ("stage", "action", "stage_count")))}}


def measure_baseline(dump: Path, workdir: Path) -> dict:
    m = run_cpu_measured([sys.executable, "-m", "bench.ingest", "--hash", str(dump)], workdir, _env())
    return {"cpu_s": m["cpu_s"], "wall_s": m["wall_s"], **json.loads(m["stdout"])}


def stage_costs(runs: list[dict]) -> dict:
    """{stage: placement, intercept_cpu_s, cpu_s_per_mb, points} from the chain at each corpus size, per MB of the
    stage's input (raw_files: per MB it reads and keeps, applied in the model to the whole crawl, an upper bound). A
    slope the noise makes non-positive falls back to the largest run's CPU per MB (start-up included: an overestimate)."""
    costs = {}
    for stage in CODE_CHAIN:
        points = [(r["chain"]["stages"][stage].get("mb_work", r["chain"]["stages"][stage]["mb_in"]), r["chain"]["stages"][stage]["cpu_s"]) for r in runs]
        intercept, slope = model.fit_line(points) if len({x for x, _ in points}) > 1 else (0.0, 0.0)
        fallback = slope <= 0 or intercept < 0
        if fallback:
            x, y = max(points)
            intercept, slope = 0.0, y / x
        costs[stage] = {"placement": PLACEMENT.get(stage, "driver"), "intercept_cpu_s": intercept, "cpu_s_per_mb": slope,
                        "fallback": fallback, "points": points}
    return costs


def baseline_cpu_s_per_mb(runs: list[dict]) -> float:
    """The baseline's slope over the corpora (its interpreter start left out), as the stages'."""
    points = [(r["baseline"]["bytes"] / MB, r["baseline"]["cpu_s"]) for r in runs]
    slope = model.fit_line(points)[1] if len({x for x, _ in points}) > 1 else 0.0
    x, y = max(points)
    return slope if slope > 0 else y / x


def corpus_measures(run: dict) -> dict:
    """What the model takes from the largest corpus: bytes per file, each later stage's input as a share of
    transformed's, lineage rows per input file of the stages after dedup."""
    chain = run["chain"]
    transformed_mb = chain["stages"]["transformed"]["mb_in"]
    after = CODE_CHAIN[CODE_CHAIN.index("transformed"):]
    files_after = chain["files"]  # the corpus holds almost no duplicates: the files reaching transformed
    lineage_per_file: dict[str, float] = {}
    for key, n in chain["lineage"].items():
        stage = key.split(":")[0]
        if stage in after:
            lineage_per_file[stage] = lineage_per_file.get(stage, 0.0) + n / files_after
    return {"bytes_per_file": chain["bytes"] / chain["files"],
            "share_of_transformed": {s: chain["stages"][s]["mb_in"] / transformed_mb for s in after},
            "lineage_per_file": lineage_per_file}


def web_cost(results: Path) -> dict | None:
    """CPU seconds per MB of WARC of codelake's web side, from the newest web benchmark result."""
    found = sorted(results.glob("web-*.json"))
    if not found:
        return None
    data = json.loads(found[-1].read_text())
    if not data.get("codelake_cpu_s") or not data.get("warc_mb"):
        return None
    return {"source": found[-1].name, "cpu_s_per_mb": data["codelake_cpu_s"] / data["warc_mb"], "warc_mb": data["warc_mb"],
            "pages": data.get("pages"), "when_load_average": data.get("load_average")}


def build_model(result: dict, a: model.Assumptions, crawls_tb: list[float], workers: list[int]) -> dict:
    costs = {s: c for s, c in result["stage_costs"].items() if c["placement"] != "sql"}
    fits = {step: {**model.sql_step_fit(points), "unit": STEPS[step][0], "runs_on": STEPS[step][1]} for step, points in result["sql_points"].items()}
    measured = result["corpus"]
    runs = [model.model_run(tb * model.TB_MB, n, a, costs, fits, measured) for tb in crawls_tb for n in workers]
    volumes = {tb: model.crawl_volumes(tb * model.TB_MB, a, measured) for tb in crawls_tb}
    log_per_action = max(p["log_bytes"] / p["n"] for p in result["sql_points"]["delta_commit"])
    per_row = {step: max(p["duckdb_bytes"] / p["n"] for p in result["sql_points"][step]) for step in ("exact_grouping", "fuzzy_candidates")}
    web = result.get("web")
    return {
        "assumptions": a.as_dict(), "sql_fits": fits, "runs": runs,
        "driver_dominates_past_workers": {str(tb): model.workers_where_driver_dominates(tb * model.TB_MB, a, costs, fits, measured) for tb in crawls_tb},
        "duckdb_tables_gb": {str(tb): {"exact_grouping": model.driver_memory_gb(volumes[tb]["files"], per_row["exact_grouping"]),
                                       "fuzzy_clustering": model.driver_memory_gb(volumes[tb]["documents"], per_row["fuzzy_candidates"])}
                             for tb in crawls_tb},
        "duckdb_bytes_per_row": per_row,
        "delta_log_bytes_per_action": log_per_action,
        "delta_log_gb": {str(tb): volumes[tb]["add_actions"] * log_per_action / 1e9 for tb in crawls_tb},
        "web_runs": [model.model_web(tb * model.TB_MB, n, a, web["cpu_s_per_mb"]) for tb in crawls_tb for n in workers] if web else [],
    }


def report(result: dict) -> str:
    m = result["model"]
    lines = [load_line(result), "",
             "per-MB CPU of each chain stage (line over the corpora; x baseline: read + SHA-256 of the same files, same run)",
             f"{'stage':<16}{'where':>8}{'CPU s/MB':>10}{'x base':>9}{'start-up CPU s':>16}"]
    base = result["baseline_cpu_s_per_mb"]
    for stage, c in result["stage_costs"].items():
        note = "  (fallback: largest run's CPU/MB)" if c["fallback"] else ""
        lines.append(f"{stage:<16}{c['placement']:>8}{c['cpu_s_per_mb']:>10.3f}{c['cpu_s_per_mb'] / base:>9.1f}{c['intercept_cpu_s']:>16.2f}{note}")
    lines += ["", "driver SQL steps: CPU s at the largest n, growth exponent (all points / two largest; used)",
              f"{'step':<20}{'n':>10}{'CPU s':>9}{'k all':>8}{'k top':>8}{'k used':>8}"]
    for step, f in m["sql_fits"].items():
        lines.append(f"{step:<20}{f['n_ref']:>10,}{f['cpu_s_ref']:>9.3f}{f['exponent_all']:>8.2f}{f['exponent_top']:>8.2f}{f['exponent']:>8.2f}")
    lines.append(f"the single Delta commit's log entry: {m['delta_log_bytes_per_action']:.0f} bytes per file committed (add + remove), "
                 + ", ".join(f"{gb:,.2f} GB at {tb} TB" for tb, gb in m["delta_log_gb"].items()))
    a = m["assumptions"]
    lines += ["", f"assumed: workers of {a['worker_cores']} cores, driver of {a['driver_cores']} cores / {a['driver_memory_gb']:g} GB, "
              f"${a['price_per_core_hour']} per core-hour, exact keep {a['exact_keep']}, fuzzy keep {a['fuzzy_keep']}, "
              f"{a['stage_start_s']:g} s job start per sharded stage, {result['corpus']['bytes_per_file']:,.0f} B per file (measured corpus)",
              "", "code branch, raw crawl -> code_corpus", model.format_table(m["runs"])]
    for tb, n in m["driver_dominates_past_workers"].items():
        past = "never: the sharded stages always take longer" if n is None else f"past {n:,.0f} workers"
        lines.append(f"{tb} TB: {past} (the driver's steps take longer than all sharded stages together); "
                     f"DuckDB tables on the driver: exact grouping {m['duckdb_tables_gb'][tb]['exact_grouping']:,.0f} GB, "
                     f"fuzzy clustering {m['duckdb_tables_gb'][tb]['fuzzy_clustering']:,.0f} GB (driver memory {a['driver_memory_gb']:g} GB)")
    biggest = max(m["runs"], key=lambda r: (r["crawl_tb"], r["workers"]))
    lines += ["", f"steps at {biggest['crawl_tb']:g} TB on {biggest['workers']} workers:"]
    for step, s in sorted(biggest["steps"].items(), key=lambda kv: -kv[1]["wall_s"]):
        lines.append(f"  {step:<20}{s['where']:>8}{model.format_hours(s['wall_s']):>11}")
    if m["web_runs"]:
        lines += ["", f"web branch, read + extract + classify only ({result['web']['cpu_s_per_mb']:.3f} CPU s/MB of WARC from {result['web']['source']})",
                  model.format_table(m["web_runs"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[8.0, 64.0], help="corpus sizes for the per-MB lines (default 8 64)")
    parser.add_argument("--base-rows", type=int, default=50_000, help="SQL steps: rows at multiple 1 (default 50000)")
    parser.add_argument("--base-commit-files", type=int, default=2000, help="Delta commit: add actions at multiple 1 (default 2000)")
    parser.add_argument("--multiples", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeats", type=int, default=2, help="SQL steps: runs per size, the least CPU counts (default 2)")
    parser.add_argument("--crawl-tb", type=float, nargs="+", default=[1.0, 100.0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 16, 128, 1024])
    parser.add_argument("--worker-cores", type=int, default=model.Assumptions.worker_cores)
    parser.add_argument("--driver-cores", type=int, default=model.Assumptions.driver_cores)
    parser.add_argument("--driver-memory-gb", type=float, default=model.Assumptions.driver_memory_gb)
    parser.add_argument("--price", type=float, default=model.Assumptions.price_per_core_hour, help="assumed USD per core-hour")
    parser.add_argument("--exact-keep", type=float, default=model.Assumptions.exact_keep)
    parser.add_argument("--fuzzy-keep", type=float, default=model.Assumptions.fuzzy_keep)
    parser.add_argument("--workdir", type=Path, default=None, help="where corpora and lakes go (default: a temp dir, removed after)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    a = model.Assumptions(worker_cores=args.worker_cores, driver_cores=args.driver_cores, driver_memory_gb=args.driver_memory_gb,
                          price_per_core_hour=args.price, exact_keep=args.exact_keep, fuzzy_keep=args.fuzzy_keep)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-bench-scaling-"))
    load_before = os.getloadavg()
    runs = []
    try:
        for size in sorted(args.sizes_mb):
            where = workdir / f"corpus-{size:g}mb"
            where.mkdir(parents=True, exist_ok=True)
            dump = build_python_corpus(where, size)
            runs.append({"max_mb": size, "baseline": measure_baseline(dump, where), "chain": measure_chain(dump, where / "lake", where)})
            shutil.rmtree(where, ignore_errors=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    sql_points = {}
    for _ in range(max(1, args.repeats)):
        for step, points in measure_sql_steps(args.base_rows, args.base_commit_files, args.multiples, a.exact_keep).items():
            best = sql_points.setdefault(step, {p["n"]: p for p in points})
            for p in points:
                if p["cpu_s"] < best[p["n"]]["cpu_s"]:
                    best[p["n"]] = p
    result = {
        "corpus_runs": runs,
        "stage_costs": stage_costs(runs),
        "baseline_cpu_s_per_mb": baseline_cpu_s_per_mb(runs),
        "corpus": corpus_measures(runs[-1]),
        "sql_points": {step: sorted(best.values(), key=lambda p: p["n"]) for step, best in sql_points.items()},
        "web": web_cost(args.results),
    }
    result["model"] = build_model(result, a, args.crawl_tb, args.workers)
    publish(args.results, "scaling", result, load_before, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
