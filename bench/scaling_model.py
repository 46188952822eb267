"""The scaling model's arithmetic: fits of measured points, and wall time and cost of a crawl on N workers.

Pure functions over the measurements `bench.scaling` takes (no I/O), so the arithmetic is tested on fixed inputs.

Two kinds of work:
* sharded stages (raw_files, fuzzy signatures, transformed, filter_signals; the web branch's read + extract +
  classify): CPU seconds per MB of the stage's input, fitted as a line (start-up CPU + slope * MB) over
  corpora of two sizes; the slope is spread over N workers x cores, each shard of `shard_mb` paying the
  start-up once, plus one job start per stage.
* driver steps (exact grouping, fuzzy clustering, survivor choice, lineage write, the single Delta commit,
  and today's whole-table stages filtered and code_corpus): one machine whatever N is. SQL steps follow
  the power law fitted to their CPU seconds at growing n and extrapolated from the largest measured point;
  "threads" steps spread over the driver's cores, "one" steps run on one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MB = 1e6
TB_MB = 1e6  # MB in a TB (10^12 bytes)


@dataclass(frozen=True)
class Assumptions:
    """What the model takes as given rather than measures; every figure it prints depends on these."""

    worker_cores: int = 2
    driver_cores: int = 16
    driver_memory_gb: float = 64.0
    price_per_core_hour: float = 0.05  # USD, an assumed on-demand cloud price per vCPU-hour (not a quote)
    exact_keep: float = 0.25  # share of crawl files surviving exact dedup (RefineCode: ~75% of GitHub files are exact duplicates)
    fuzzy_keep: float = 0.94  # share of exact survivors surviving fuzzy dedup (RefineCode: fuzzy removes ~6% more)
    shard_mb: float = 1024.0  # input MB per task (one dump member or Delta file group)
    parquet_file_mb: float = 134.2  # codelake's Parquet file target (128 MiB): add actions per MB of table, uncompressed bound
    stage_start_s: float = 13.0  # per sharded stage: one Ray job's start through dagster-ray's Pipes client (12.9-14.5 s measured here)

    def as_dict(self) -> dict:
        return asdict(self)


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line through (x, y) points; two or more distinct x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        raise ValueError("a line needs points at two or more distinct x")
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope


def fit_power_law(points: list[tuple[float, float]]) -> float:
    """The exponent k of y ~ c * x^k, least squares in log-log over the points (y > 0)."""
    return fit_line([(math.log(x), math.log(max(y, 1e-9))) for x, y in points])[1]


def sql_step_fit(points: list[dict]) -> dict:
    """Growth of one SQL step from its points [{n, cpu_s}]: the exponent fitted over all points (and, for the
    reader, the local one between the two largest), anchored at the largest n. A step reading n rows cannot grow
    slower than n, so an exponent below 1 (fixed costs weighing on the small sizes) is used as 1."""
    ordered = sorted(points, key=lambda p: p["n"])
    pairs = [(p["n"], p["cpu_s"]) for p in ordered]
    overall = fit_power_law(pairs)
    return {"exponent_all": overall, "exponent_top": fit_power_law(pairs[-2:]), "exponent": max(1.0, overall),
            "n_ref": ordered[-1]["n"], "cpu_s_ref": ordered[-1]["cpu_s"]}


def sql_cpu_s(fit: dict, n: float) -> float:
    """CPU seconds of a fitted SQL step at n (a power law through the largest measured point)."""
    return fit["cpu_s_ref"] * (n / fit["n_ref"]) ** fit["exponent"]


def crawl_volumes(crawl_mb: float, a: Assumptions, measured: dict) -> dict:
    """What reaches each stage of a crawl of `crawl_mb`: MB per stage, files, documents, lineage rows, add actions.

    `measured`: bytes_per_file of the corpus, each later stage's input as a share of transformed's
    (`share_of_transformed`), lineage rows per input file of the stages after dedup (`lineage_per_file`)."""
    files = crawl_mb * MB / measured["bytes_per_file"]
    deduped_mb = crawl_mb * a.exact_keep * a.fuzzy_keep
    stage_mb = {"raw_files": crawl_mb, "fuzzy_dedup": crawl_mb * a.exact_keep}
    for stage, share in measured["share_of_transformed"].items():
        stage_mb[stage] = deduped_mb * share
    deduped_files = files * a.exact_keep * a.fuzzy_keep
    lineage = files * (1 - a.exact_keep) + files * a.exact_keep * (1 - a.fuzzy_keep)
    lineage += sum(deduped_files * per_file for per_file in measured["lineage_per_file"].values())
    text_mb = crawl_mb + sum(stage_mb.get(s, 0.0) for s in ("transformed", "filtered", "code_corpus"))
    return {"files": files, "documents": files * a.exact_keep, "stage_mb": stage_mb, "lineage_rows": lineage,
            "add_actions": text_mb / a.parquet_file_mb}


def model_run(crawl_mb: float, workers: int, a: Assumptions, stage_costs: dict, sql_fits: dict, measured: dict) -> dict:
    """Wall seconds of each step, the total, cost, and the largest step, for `crawl_mb` on `workers` workers.

    `stage_costs`: {stage: {placement: workers|driver, intercept_cpu_s, cpu_s_per_mb}} of the chain (and the web
    branch); `sql_fits`: {step: sql_step_fit(...) + unit + runs_on}."""
    v = crawl_volumes(crawl_mb, a, measured)
    cores = workers * a.worker_cores
    steps: dict[str, dict] = {}
    for stage, cost in stage_costs.items():
        mb = v["stage_mb"].get(stage)
        if mb is None:
            continue
        cpu = cost["cpu_s_per_mb"] * mb
        if cost["placement"] == "workers":
            tasks = max(1, math.ceil(mb / a.shard_mb))
            cpu += tasks * cost["intercept_cpu_s"]
            steps[stage] = {"where": "workers", "cpu_s": cpu, "wall_s": a.stage_start_s + cpu / cores}
        else:
            steps[stage] = {"where": "driver", "cpu_s": cpu, "wall_s": cpu / a.driver_cores}
    for step, fit in sql_fits.items():
        cpu = sql_cpu_s(fit, v[fit["unit"]])
        steps[step] = {"where": "driver", "cpu_s": cpu, "wall_s": cpu / (a.driver_cores if fit["runs_on"] == "threads" else 1)}
    wall = sum(s["wall_s"] for s in steps.values())
    driver_wall = sum(s["wall_s"] for s in steps.values() if s["where"] == "driver")
    held_cores = cores + a.driver_cores
    biggest = max(steps, key=lambda s: steps[s]["wall_s"])
    return {
        "crawl_tb": crawl_mb / TB_MB, "workers": workers, "steps": steps, "wall_s": wall, "driver_wall_s": driver_wall,
        "driver_share": driver_wall / wall, "cost_usd": held_cores * wall / 3600 * a.price_per_core_hour,
        "busy_cost_usd": sum(s["cpu_s"] for s in steps.values()) / 3600 * a.price_per_core_hour,
        "largest_step": biggest, "volumes": v,
    }


def model_web(crawl_mb: float, workers: int, a: Assumptions, cpu_s_per_mb: float) -> dict:
    """The web branch's per-page work (read + extract + classify) of `crawl_mb` of WARC, sharded over `workers`;
    its dedup and corpus steps, not measured here, would add driver steps like the code branch's."""
    cpu = cpu_s_per_mb * crawl_mb
    wall = a.stage_start_s + cpu / (workers * a.worker_cores)
    step = {"where": "workers", "cpu_s": cpu, "wall_s": wall}
    return {"crawl_tb": crawl_mb / TB_MB, "workers": workers, "steps": {"web_read_extract_classify": step}, "wall_s": wall,
            "driver_wall_s": 0.0, "driver_share": 0.0, "cost_usd": workers * a.worker_cores * wall / 3600 * a.price_per_core_hour,
            "busy_cost_usd": cpu / 3600 * a.price_per_core_hour, "largest_step": "web_read_extract_classify"}


def workers_where_driver_dominates(crawl_mb: float, a: Assumptions, stage_costs: dict, sql_fits: dict, measured: dict) -> float | None:
    """The worker count past which the driver's steps take longer than all sharded stages together: more
    workers than this buy less than a 2x speed-up of the whole run. None: the driver never dominates."""
    one = model_run(crawl_mb, 1, a, stage_costs, sql_fits, measured)
    sharded_cpu = sum(s["cpu_s"] for s in one["steps"].values() if s["where"] == "workers")
    starts = a.stage_start_s * sum(1 for s in one["steps"].values() if s["where"] == "workers")
    spare = one["driver_wall_s"] - starts
    return None if spare <= 0 else sharded_cpu / (spare * a.worker_cores)


def driver_memory_gb(documents: float, bytes_per_document: float) -> float:
    """GB the clustering's temp tables hold for `documents`, at the measured bytes per document."""
    return documents * bytes_per_document / 1e9


def format_hours(seconds: float) -> str:
    hours = seconds / 3600
    if hours >= 48:
        return f"{hours / 24:,.1f} d"
    if hours >= 1:
        return f"{hours:,.1f} h"
    return f"{seconds / 60:,.1f} min"


def format_table(runs: list[dict]) -> str:
    lines = [f"{'crawl':>7}{'workers':>9}{'wall':>11}{'driver share':>14}{'cost USD':>12}{'busy-core USD':>15}  largest step"]
    for r in runs:
        lines.append(f"{r['crawl_tb']:>5g}TB{r['workers']:>9}{format_hours(r['wall_s']):>11}{100 * r['driver_share']:>13.0f}%"
                     f"{r['cost_usd']:>12,.0f}{r['busy_cost_usd']:>15,.0f}  {r['largest_step']}")
    return "\n".join(lines)
