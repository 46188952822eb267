"""Ray overhead benchmark: the code chain through the Dagster assets, locally and on a Ray cluster.

    python -m bench.ray_overhead [--corpus demo|python] [--max-mb 20] [--repeats 1] [--address URL] [--cpus 2]

The same dumps go through raw_files -> ... -> code_corpus twice per repeat, alternating: with the local
StageRunner (every stage in this process, batch work on this machine's pool), and with a StageRunner
pointed at a Ray cluster (raw_files, fuzzy_dedup, transformed, filter_signals submitted as Ray jobs via
dagster-ray's Pipes client, their batches as Ray tasks; the SQL stages stay here). Without --address a
local cluster (`ray start --head`, --cpus CPUs) is started and stopped; its start-up is reported apart.
Each asset's time is its `materialize` call. The figure is the ratio Ray/local per Ray stage and for the
chain, and the result's identity: every table of both lakes, lineage included, compared row for row.
The machine is shared: the load average before and after is recorded with the figures. Results go to
bench/results/ray_overhead-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from bench.ingest import MB, RESULTS_DIR
from codelake.dumps.sources import dump_name_of
from codelake.lake import Lake
from resources.stage_runner import RAY_STAGES

WHOLE_LAKE = ["exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus"]


def build_corpus(kind: str, dest: Path, max_mb: float) -> list[Path]:
    from bench.pipeline import build_demo_corpus, build_python_corpus

    return build_demo_corpus(dest) if kind == "demo" else [build_python_corpus(dest, max_mb)]


def run_chain(dumps: list[Path], lake_root: Path, runner) -> dict[str, float]:
    """Seconds of each asset's materialization into a fresh lake at `lake_root`."""
    from dagster import DagsterInstance, materialize

    from assets import code
    from resources import LakeDuckDBResource, LakeResource, LandingZoneResource

    shutil.rmtree(lake_root, ignore_errors=True)
    instance = DagsterInstance.ephemeral()
    keys = [dump_name_of(d) for d in dumps]
    instance.add_dynamic_partitions("code_dumps", keys)
    resources = {"lake": LakeResource(root=str(lake_root)), "landing_zone": LandingZoneResource(path=str(dumps[0].parent)),
                 "duckdb": LakeDuckDBResource(), "stage_runner": runner}
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    seconds = {"raw_files": 0.0}
    for key in keys:
        t0 = time.perf_counter()
        assert materialize([code.raw_files], partition_key=key, instance=instance, resources=resources, run_config=quiet).success
        seconds["raw_files"] += time.perf_counter() - t0
    every = [code.raw_files, *(getattr(code, name) for name in WHOLE_LAKE)]
    for name in WHOLE_LAKE:
        t0 = time.perf_counter()
        result = materialize(every, selection=[getattr(code, name)], instance=instance, resources=resources, run_config=quiet)
        assert result.success and all(c.passed for c in result.get_asset_check_evaluations()), name
        seconds[name] = time.perf_counter() - t0
    return seconds


def _sorted(table: pa.Table) -> pa.Table:
    keys = [(f.name, "ascending") for f in table.schema if not (pa.types.is_binary(f.type) or pa.types.is_list(f.type))]
    return table.sort_by(keys)


def differing_tables(a: Lake, b: Lake) -> list[str]:
    """Tables whose rows (or versions) differ between the two lakes; [] when identical."""
    names = sorted(set(a.table_names()) | set(b.table_names()))
    return [n for n in names if not (a.exists(n) and b.exists(n)) or a.version(n) != b.version(n)
            or not _sorted(a.dataset(n).to_table()).equals(_sorted(b.dataset(n).to_table()))]


def bench(dumps: list[Path], workdir: Path, address: str, repeats: int) -> dict:
    from resources.stage_runner import StageRunner

    local_runs, ray_runs, differ = [], [], []
    for _ in range(repeats):  # alternate, so both see the same load
        local_runs.append(run_chain(dumps, workdir / "lake-local", StageRunner()))
        ray_runs.append(run_chain(dumps, workdir / "lake-ray", StageRunner(ray_address=address, python=sys.executable, poll_seconds=0.5)))
        differ.append(differing_tables(Lake(workdir / "lake-local"), Lake(workdir / "lake-ray")))
    stages = list(local_runs[0])
    local = {s: statistics.median(r[s] for r in local_runs) for s in stages}
    on_ray = {s: statistics.median(r[s] for r in ray_runs) for s in stages}
    ray_part_local = sum(local[s] for s in RAY_STAGES)
    ray_part_ray = sum(on_ray[s] for s in RAY_STAGES)
    return {
        "stages": [{"stage": s, "on_ray": s in RAY_STAGES, "local_s": local[s], "ray_s": on_ray[s], "ratio": on_ray[s] / local[s]} for s in stages],
        "ray_stages": {"local_s": ray_part_local, "ray_s": ray_part_ray, "ratio": ray_part_ray / ray_part_local,
                       "added_s_per_job": (ray_part_ray - ray_part_local) / (len(dumps) + len(RAY_STAGES) - 1)},
        "chain": {"local_s": sum(local.values()), "ray_s": sum(on_ray.values()), "ratio": sum(on_ray.values()) / sum(local.values())},
        "runs": {"local": local_runs, "ray": ray_runs},
        "identical": all(not d for d in differ),
        "differing_tables": sorted({n for d in differ for n in d}),
    }


def format_table(result: dict) -> str:
    lines = [f"{'stage':<16} {'where':<6} {'local s':>8} {'Ray s':>8} {'Ray/local':>9}"]
    for s in result["stages"]:
        lines.append(f"{s['stage']:<16} {'Ray' if s['on_ray'] else 'here':<6} {s['local_s']:8.1f} {s['ray_s']:8.1f} {s['ratio']:8.2f}x")
    r, c = result["ray_stages"], result["chain"]
    lines.append(f"{'Ray stages':<23} {r['local_s']:8.1f} {r['ray_s']:8.1f} {r['ratio']:8.2f}x  (+{r['added_s_per_job']:.1f} s per Ray job)")
    lines.append(f"{'whole chain':<23} {c['local_s']:8.1f} {c['ray_s']:8.1f} {c['ratio']:8.2f}x")
    lines.append(f"identical tables and lineage: {result['identical']}" + (f" (differ: {result['differing_tables']})" if result["differing_tables"] else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ray_overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["demo", "python"], default="demo", help="the demo dumps (default) or this machine's Python files")
    parser.add_argument("--max-mb", type=float, default=20.0, help="python corpus: MB of files at most")
    parser.add_argument("--repeats", type=int, default=1, help="alternating local/Ray runs (default 1)")
    parser.add_argument("--address", default=None, help="an existing Ray cluster's dashboard; default: start a local one")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local cluster (default 2)")
    parser.add_argument("--workdir", type=Path, default=None, help="where dumps and lakes go (default: a temp dir, removed after)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON goes (default bench/results)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-ray-bench-"))
    os.environ.setdefault("DAGSTER_HOME", str(workdir / "dagster"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    cluster = None
    try:
        dumps = build_corpus(args.corpus, workdir / "landing", args.max_mb)
        input_mb = sum(f.stat().st_size for d in dumps for f in ([d] if d.is_file() else d.rglob("*")) if f.is_file()) / MB
        load_before = os.getloadavg()
        startup_s = None
        address = args.address
        if address is None:
            from codelake.compute.local_ray import LocalRayCluster

            cluster = LocalRayCluster(cpus=args.cpus)
            t0 = time.perf_counter()
            cluster.start()
            startup_s = time.perf_counter() - t0
            address = cluster.dashboard
        result = bench(dumps, workdir, address, args.repeats)
        result.update({"corpus": args.corpus, "input_mb": input_mb, "cluster_start_s": startup_s, "cpus": args.cpus if cluster else None,
                       "load_average_before": load_before, "load_average_after": os.getloadavg(), "repeats": args.repeats,
                       "python": platform.python_version(), "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    finally:
        if cluster is not None:
            cluster.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{args.corpus} corpus, {input_mb:.1f} MB; load average {result['load_average_before'][0]:.1f} -> {result['load_average_after'][0]:.1f}"
          + (f"; local Ray cluster ({args.cpus} CPUs) started in {startup_s:.1f} s" if startup_s else ""))
    print(format_table(result))
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"ray_overhead-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"results: {out}")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
