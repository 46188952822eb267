"""Ingest benchmark: how fast and in how much memory codelake turns crawl dumps into a lake.

    python -m bench.ingest [--scales 1 4] [--workdir DIR]

For each scale the demo dumps are built (`demo.build_dumps`: a folder dump and a .tar.gz dump;
scale N holds about N times the data), then two things read the very same files, each in its own
subprocess so that its peak memory is its own:

* baseline -- the least work any ingester must do: walk the folder dump and stream the .tar.gz
  (`tarfile` "r|gz"), reading every regular file and hashing it with SHA-256, like `sha256sum`.
  Run twice; the faster run counts.
* codelake -- `codelake run raw_files` on each dump, then `codelake run exact_dedup`, into a fresh
  lake, exactly as a user runs them (`python -m codelake.cli.main run ...`).

Input MB is the bytes of every regular file in the dumps (1 MB = 10**6 bytes), the same number for
both, so MB/s are comparable. This machine is small, shared and noisy: absolute MB/s mean little,
so the ratio codelake/baseline, measured minutes apart in the same run, is the figure to watch.

Peak RSS is sampled every 20 ms over the subprocess and its children, and also taken from the
kernel's own high-water mark of the child (`os.wait4`'s ru_maxrss); the larger is reported. The
issue's memory target: peak RSS of codelake at the largest scale / at the smallest stays below 1.3
(memory flat as the input grows). Results also go to bench/results/ingest-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
MEMORY_TARGET = 1.3  # peak RSS at the largest scale / at the smallest must stay below this
POLL_S = 0.02
CHUNK = 1 << 20
# Files codelake reads as bookkeeping, not as rows: the repository manifest and the completion marker.
BOOKKEEPING = {".codelake.json", "_SUCCESS"}
MB = 1e6


# --------------------------------------------------------------------------- baseline


def plain_read_and_hash(dumps: list[str | Path]) -> dict:
    """Read and SHA-256 every regular file of the dumps (folders walked, archives streamed).

    Returns counts: all regular files and their bytes, and the same without bookkeeping files
    (`data_files`/`data_bytes`: what codelake counts as rows in).
    """
    counts = {"files": 0, "bytes": 0, "data_files": 0, "data_bytes": 0}

    def count(name: str, size: int) -> None:
        counts["files"] += 1
        counts["bytes"] += size
        if os.path.basename(name) not in BOOKKEEPING:
            counts["data_files"] += 1
            counts["data_bytes"] += size

    for dump in map(Path, dumps):
        if dump.is_dir():
            for dirpath, dirnames, filenames in os.walk(dump):
                dirnames.sort()
                for name in sorted(filenames):
                    path = os.path.join(dirpath, name)
                    if os.path.islink(path) or not os.path.isfile(path):
                        continue
                    with open(path, "rb") as fh:
                        count(name, _hash_stream(fh))
        else:
            with tarfile.open(dump, "r|*") as archive:
                for member in archive:
                    if member.isreg():
                        count(member.name, _hash_stream(archive.extractfile(member)))
                    archive.members.clear()  # tarfile keeps every header otherwise
    return counts


def _hash_stream(fh) -> int:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    digest.hexdigest()
    return size


# --------------------------------------------------------------------------- measuring


class Measured(NamedTuple):
    seconds: float
    peak_rss: int  # bytes
    stdout: str
    stderr: str


GNU_TIME = Path("/usr/bin/time")


def run_measured(cmd: list[str], cwd: str | Path | None = None, env: dict | None = None) -> Measured:
    """Run `cmd`; wall seconds and peak RSS (bytes) of its process tree. Raises when it fails.

    Peak RSS: the process tree sampled every POLL_S, and the command's own maximum from GNU time when the
    machine has it. Not this process's rusage of the child: Linux starts a forked child's maxrss at the
    parent's RSS, so every tool would report at least the benchmark's own memory."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [str(GNU_TIME), "-f", "%M", "-o", peak.name, *cmd] if GNU_TIME.is_file() else cmd
        started = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=out, stderr=err)
        done = threading.Event()
        sampled = [0]

        def poll() -> None:
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                rss = 0
                try:
                    for p in [root, *root.children(recursive=True)]:
                        try:
                            rss += p.memory_info().rss
                        except (psutil.NoSuchProcess, psutil.ZombieProcess):
                            pass
                except (psutil.NoSuchProcess, psutil.ZombieProcess):
                    pass
                sampled[0] = max(sampled[0], rss)
                done.wait(POLL_S)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status = os.waitpid(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        poller.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        reported = peak.read().strip().splitlines()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{stderr[-3000:]}")
    own_peak = int(reported[-1]) * 1024 if reported and reported[-1].isdigit() else 0
    return Measured(seconds, max(sampled[0], own_peak), stdout, stderr)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "1000"  # rich wraps the CLI's summary line at 80 columns otherwise
    env.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return env


def measure_baseline(dumps: list[Path], workdir: Path, runs: int = 2) -> dict:
    """Best of `runs` subprocess runs of plain_read_and_hash over the dumps."""
    best = None
    for _ in range(runs):
        m = run_measured([sys.executable, "-m", "bench.ingest", "--hash", *map(str, dumps)], cwd=workdir, env=_env())
        if best is None or m.seconds < best.seconds:
            best = m
    return {"seconds": best.seconds, "peak_rss": best.peak_rss, **json.loads(best.stdout)}


_SUMMARY = re.compile(r"^(\w+): (\d+) in, (\d+) kept", re.M)
_MB_IN = re.compile(r"^([\d,.]+) MB in ", re.M)


def measure_codelake(dumps: list[Path], lake: Path, workdir: Path) -> list[dict]:
    """`raw_files` on each dump, then `exact_dedup`, each a measured subprocess; one dict per run."""
    cli = [sys.executable, "-m", "codelake.cli.main", "run"]
    runs = [("raw_files", str(d)) for d in dumps] + [("exact_dedup", str(lake))]
    stages = []
    for stage, source in runs:
        m = run_measured([*cli, stage, "--input", source, "--output", str(lake)], cwd=workdir, env=_env())
        summary, mb_in = _SUMMARY.search(m.stderr), _MB_IN.search(m.stderr)
        stages.append(
            {
                "stage": stage,
                "input": source,
                "seconds": m.seconds,
                "peak_rss": m.peak_rss,
                "rows_in": int(summary.group(2)) if summary else None,
                "rows_kept": int(summary.group(3)) if summary else None,
                "mb_in_reported": float(mb_in.group(1).replace(",", "")) if mb_in else None,
            }
        )
    return stages


def bench_dumps(dumps: list[Path], workdir: Path) -> dict:
    """Baseline and codelake over the same dumps; the figures of one table row."""
    workdir.mkdir(parents=True, exist_ok=True)
    lake = workdir / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    base = measure_baseline(dumps, workdir)
    stages = measure_codelake(dumps, lake, workdir)
    raw = [s for s in stages if s["stage"] == "raw_files"]
    seconds = sum(s["seconds"] for s in stages)
    input_mb = base["bytes"] / MB
    row = {
        "dumps": [str(d) for d in dumps],
        "files": base["files"],
        "input_bytes": base["bytes"],
        "input_mb": input_mb,
        "baseline": base,
        "codelake": {
            "stages": stages,
            "seconds": seconds,
            "mb_per_s": input_mb / seconds,
            "peak_rss": max(s["peak_rss"] for s in stages),
            "peak_rss_raw_files": max(s["peak_rss"] for s in raw),
            "peak_rss_exact_dedup": max(s["peak_rss"] for s in stages if s["stage"] == "exact_dedup"),
            # cross-checks: codelake saw the files and bytes the baseline read (less bookkeeping files)
            "rows_in": sum(s["rows_in"] or 0 for s in raw),
            "mb_in_reported": sum(s["mb_in_reported"] or 0 for s in raw),
        },
    }
    row["baseline"]["mb_per_s"] = input_mb / base["seconds"]
    row["ratio"] = row["codelake"]["mb_per_s"] / row["baseline"]["mb_per_s"]
    return row


def bench_scale(scale: int, workdir: Path) -> dict:
    from demo.build_dumps import build_demo_dumps

    landing = workdir / f"scale-{scale}"
    started = time.perf_counter()
    print(f"scale {scale}: building demo dumps in {landing} ...", flush=True)
    dumps = build_demo_dumps(landing / "landing", scale=scale)
    print(f"scale {scale}: built in {time.perf_counter() - started:.1f}s; measuring ...", flush=True)
    row = {"scale": scale, **bench_dumps(dumps, landing)}
    shutil.rmtree(landing, ignore_errors=True)  # ~1 GB at scale 4: free it before the next scale
    return row


# --------------------------------------------------------------------------- reporting


def memory_ratio(rows: list[dict]) -> float | None:
    """peak RSS of codelake at the largest scale / at the smallest (None with one scale)."""
    if len(rows) < 2:
        return None
    small, large = min(rows, key=lambda r: r["scale"]), max(rows, key=lambda r: r["scale"])
    return large["codelake"]["peak_rss"] / small["codelake"]["peak_rss"]


def format_table(rows: list[dict]) -> str:
    head = ("scale", "input MB", "files", "base MB/s", "codelake MB/s", "ratio", "RSS base MB", "RSS raw_files MB", "RSS exact_dedup MB")
    lines = [head]
    for r in rows:
        c = r["codelake"]
        lines.append(
            (
                str(r["scale"]),
                f"{r['input_mb']:,.1f}",
                f"{r['files']:,}",
                f"{r['baseline']['mb_per_s']:,.1f}",
                f"{c['mb_per_s']:,.1f}",
                f"{r['ratio']:.3f}",
                f"{r['baseline']['peak_rss'] / MB:,.0f}",
                f"{c['peak_rss_raw_files'] / MB:,.0f}",
                f"{c['peak_rss_exact_dedup'] / MB:,.0f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("")
    out.append("seconds per run (baseline = best of 2; codelake = raw_files per dump, then exact_dedup):")
    for r in rows:
        stages = ", ".join(f"{s['stage']}({Path(s['input']).name}) {s['seconds']:.2f}s {s['peak_rss'] / MB:,.0f} MB" for s in r["codelake"]["stages"])
        out.append(f"  scale {r['scale']}: baseline {r['baseline']['seconds']:.2f}s; {stages}")
    for r in rows:
        c, b = r["codelake"], r["baseline"]
        if c["rows_in"] != b["data_files"] or abs(c["mb_in_reported"] - b["data_bytes"] / MB) > 0.1 * len(r["dumps"]):
            out.append(
                f"  WARNING scale {r['scale']}: codelake counted {c['rows_in']} files / {c['mb_in_reported']:.1f} MB,"
                f" the baseline {b['data_files']} / {b['data_bytes'] / MB:.1f} MB (bookkeeping files excluded)"
            )
    return "\n".join(out)


def format_verdict(ratio: float | None) -> str:
    if ratio is None:
        return "memory ratio: needs two scales"
    verdict = "PASS" if ratio < MEMORY_TARGET else "FAIL"
    return f"memory ratio peak_rss(codelake, largest scale) / peak_rss(codelake, smallest scale) = {ratio:.2f} -> {verdict} (target < {MEMORY_TARGET})"


def write_results(rows: list[dict], out_dir: Path = RESULTS_DIR) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"ingest-{stamp}.json"
    ratio = memory_ratio(rows)
    doc = {
        "benchmark": "ingest",
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "memory_bytes": psutil.virtual_memory().total, "platform": platform.platform(), "python": platform.python_version()},
        "scales": rows,
        "memory_ratio": ratio,
        "memory_target": MEMORY_TARGET,
        "memory_pass": None if ratio is None else ratio < MEMORY_TARGET,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4], help="demo dump scales (default: 1 4)")
    parser.add_argument("--workdir", type=Path, default=None, help="where dumps and lakes go (default: a temp dir, removed after)")
    parser.add_argument("--hash", nargs="+", metavar="DUMP", help=argparse.SUPPRESS)  # the baseline subprocess
    args = parser.parse_args(argv)
    if args.hash:
        print(json.dumps(plain_read_and_hash(args.hash)))
        return 0
    if any(s < 1 for s in args.scales):
        parser.error("scales must be >= 1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-bench-"))
    try:
        rows = [bench_scale(scale, workdir) for scale in args.scales]
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(format_table(rows))
    print()
    print(format_verdict(memory_ratio(rows)))
    print(f"results: {write_results(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
