"""Pipeline benchmark: the whole code branch, raw_files -> code_corpus, stage by stage, through `codelake run`.

    python -m bench.pipeline [--corpus python|demo] [--max-mb 60] [--repeats 2] [--workdir DIR]

The corpus is built from real files of this machine: `python` is this interpreter's standard library
and the packages of the project's virtualenv (Python-heavy, as a crawl of Python repositories is),
capped at --max-mb; `demo` is the two demo dumps (`demo.build_dumps`). Every stage of the registry's code
chain (codelake/registry.py) runs as its own `python -m codelake.cli.main run STAGE` subprocess into a
fresh lake, exactly as a user runs it; then the whole chain once more as one process (`codelake run
code_corpus --from raw_files`: imports and DuckDB's Delta extension loaded once). The baseline is the
least work any pipeline must do on the same files: read every file and SHA-256 it
(`bench.ingest.plain_read_and_hash`).

The machine is shared and noisy, so baseline, chain and one-process chain alternate, `--repeats` times
each, and medians count; the figure to watch is the ratio chain/baseline. MB are the corpus's bytes (every stage is
measured against the same input, so shares add up to the chain). Each stage's time is its subprocess's
wall time, interpreter start included. Results also go to bench/results/pipeline-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.ingest import MB, RESULTS_DIR, _env, run_measured
from bench.run_record import load_line, publish
from codelake.registry import CODE_CHAIN

TARGET_MB_S = 10.0


def build_python_corpus(dest: Path, max_mb: float) -> Path:
    """A directory dump of this interpreter's standard library and the virtualenv's packages, one
    repository each (manifests as the demo derives them), at most `max_mb` of files."""
    from demo.build_dumps import _assign_manifests, pypi_repo, site_packages_dirs, site_packages_packages, stdlib_repo, write_directory_dump

    lib = Path(os.__file__).parent
    repos = [stdlib_repo(f"python/cpython-{sys.version_info.major}.{sys.version_info.minor}", lib)]
    for sp in site_packages_dirs():
        repos += [pypi_repo(name, path) for name, path in sorted(site_packages_packages(sp).items())]
    budget, chosen = max_mb * MB, []
    for repo in repos:
        kept = []
        for f in repo.files:
            if f.size <= budget:
                kept.append(f)
                budget -= f.size
        if kept:
            repo.files = kept
            chosen.append(repo)
        if budget < 1000:
            break
    _assign_manifests(chosen)
    dump = dest / "dump-python"
    write_directory_dump(dump, chosen)
    return dump


def build_demo_corpus(dest: Path) -> list[Path]:
    from demo.build_dumps import build_demo_dumps

    return build_demo_dumps(dest, scale=1)


def measure_baseline(dumps: list[Path], workdir: Path) -> dict:
    m = run_measured([sys.executable, "-m", "bench.ingest", "--hash", *map(str, dumps)], cwd=workdir, env=_env())
    return {"seconds": m.seconds, **json.loads(m.stdout)}


_OWN_SECONDS = re.compile(r"^[\d,.]+ MB in ([\d.]+)s", re.M)


def measure_chain(dumps: list[Path], lake: Path, workdir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds of each stage of the code chain, run by `codelake run` into a fresh `lake`: the subprocess's
    wall time, and the stage's own (as `codelake run` reports it: no interpreter start or imports)."""
    shutil.rmtree(lake, ignore_errors=True)
    cli = [sys.executable, "-m", "codelake.cli.main", "run"]
    wall: dict[str, float] = {}
    own: dict[str, float] = {}
    for stage in CODE_CHAIN:
        inputs = [str(d) for d in dumps] if stage == "raw_files" else [str(lake)]
        wall[stage] = own[stage] = 0.0
        for source in inputs:
            m = run_measured([*cli, stage, "--input", source, "--output", str(lake)], cwd=workdir, env=_env())
            wall[stage] += m.seconds
            reported = _OWN_SECONDS.search(m.stderr) or _OWN_SECONDS.search(m.stdout)
            own[stage] += float(reported.group(1)) if reported else m.seconds
    return wall, own


def measure_one_process(dumps: list[Path], lake: Path, workdir: Path) -> float:
    """Wall seconds of `codelake run code_corpus --from raw_files` into a fresh `lake`: the whole chain in
    one process. Dumps before the last are ingested first, each by its own `codelake run raw_files`."""
    shutil.rmtree(lake, ignore_errors=True)
    cli = [sys.executable, "-m", "codelake.cli.main", "run"]
    seconds = 0.0
    for dump in dumps[:-1]:
        seconds += run_measured([*cli, "raw_files", "--input", str(dump), "--output", str(lake)], cwd=workdir, env=_env()).seconds
    last = CODE_CHAIN[-1]
    m = run_measured([*cli, last, "--from", CODE_CHAIN[0], "--input", str(dumps[-1]), "--output", str(lake)], cwd=workdir, env=_env())
    return seconds + m.seconds


def bench(dumps: list[Path], workdir: Path, repeats: int) -> dict:
    baselines, chains, owns, one_process = [], [], [], []
    for _ in range(repeats):  # alternate, so all three see the same load
        baselines.append(measure_baseline(dumps, workdir))
        wall, own = measure_chain(dumps, workdir / "lake", workdir)
        chains.append(wall)
        owns.append(own)
        one_process.append(measure_one_process(dumps, workdir / "lake", workdir))
    input_mb = baselines[0]["bytes"] / MB
    base_s = statistics.median(b["seconds"] for b in baselines)
    stages = {stage: statistics.median(c[stage] for c in chains) for stage in CODE_CHAIN}
    own = {stage: statistics.median(c[stage] for c in owns) for stage in CODE_CHAIN}
    chain_s = statistics.median(sum(c.values()) for c in chains)
    one_s = statistics.median(one_process)
    return {
        "files": baselines[0]["files"],
        "input_mb": input_mb,
        "repeats": repeats,
        "baseline": {"seconds": base_s, "mb_per_s": input_mb / base_s, "runs": [b["seconds"] for b in baselines]},
        "stages": [
            {"stage": s, "seconds": t, "mb_per_s": input_mb / t, "share": t / sum(stages.values()), "own_seconds": own[s],
             "own_mb_per_s": input_mb / max(own[s], 1e-9)} for s, t in stages.items()
        ],
        "chain": {"seconds": chain_s, "mb_per_s": input_mb / chain_s, "runs": [sum(c.values()) for c in chains],
                  "own_seconds": sum(own.values()), "own_mb_per_s": input_mb / max(sum(own.values()), 1e-9)},
        "ratio_chain_to_baseline": (input_mb / chain_s) / (input_mb / base_s),
        "one_process": {"seconds": one_s, "mb_per_s": input_mb / one_s, "runs": one_process, "ratio_to_baseline": base_s / one_s},
    }


def format_table(result: dict) -> str:
    lines = [f"{result['files']:,} files, {result['input_mb']:.1f} MB, median of {result['repeats']} alternating runs", "",
             f"{'stage':<16}{'seconds':>9}{'MB/s':>9}{'share':>8}   {'own s':>7}{'own MB/s':>9}  (own: as the stage reports it, no start-up)"]
    for s in result["stages"]:
        lines.append(f"{s['stage']:<16}{s['seconds']:>9.2f}{s['mb_per_s']:>9.2f}{100 * s['share']:>7.1f}%   "
                     f"{s['own_seconds']:>7.2f}{s['own_mb_per_s']:>9.2f}")
    chain, base, one = result["chain"], result["baseline"], result["one_process"]
    lines += [
        f"{'whole chain':<16}{chain['seconds']:>9.2f}{chain['mb_per_s']:>9.2f}{100.0:>7.1f}%   "
        f"{chain['own_seconds']:>7.2f}{chain['own_mb_per_s']:>9.2f}",
        f"{'one process':<16}{one['seconds']:>9.2f}{one['mb_per_s']:>9.2f}          (codelake run {CODE_CHAIN[-1]} --from {CODE_CHAIN[0]})",
        f"{'read + SHA-256':<16}{base['seconds']:>9.2f}{base['mb_per_s']:>9.2f}",
        "",
        f"chain / baseline speed: {result['ratio_chain_to_baseline']:.3f}; whole chain {chain['mb_per_s']:.2f} MB/s "
        f"(target >= {TARGET_MB_S} MB/s on 2 cores: {'PASS' if chain['mb_per_s'] >= TARGET_MB_S else 'FAIL'})",
        f"one process / baseline speed: {one['ratio_to_baseline']:.3f}; {one['mb_per_s']:.2f} MB/s "
        f"({'PASS' if one['mb_per_s'] >= TARGET_MB_S else 'FAIL'})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["python", "demo"], default="python")
    parser.add_argument("--max-mb", type=float, default=60.0, help="python corpus: MB of files at most (default 60)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs of baseline and chain (default 2)")
    parser.add_argument("--workdir", type=Path, default=None, help="where dumps and lakes go (default: a temp dir, removed after)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON goes (default bench/results)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-bench-pipeline-"))
    load_before = os.getloadavg()
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        dumps = [build_python_corpus(workdir, args.max_mb)] if args.corpus == "python" else build_demo_corpus(workdir / "landing")
        result = bench(dumps, workdir, max(1, args.repeats))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    result["corpus"] = args.corpus
    publish(args.results, "pipeline", result, load_before, lambda r: f"{format_table(r)}\n{load_line(r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
