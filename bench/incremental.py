"""Incremental benchmark: does adding a dump cost only that dump, however many the lake holds?

    python -m bench.incremental [--dump-mb 1.5] [--ks 1,2,4,8] [--repeats 2] [--workdir DIR]

The corpus is real files of this machine (this interpreter's standard library and the virtualenv's
packages, as bench.pipeline builds it), cut into max(ks)+1 dumps of equal size. For each k: a lake of k
dumps is built from scratch by `codelake run` (raw_files per dump, then every whole-lake stage once:
the full-rebuild baseline, timed), then one more dump of the same size is added and `code_corpus`
brought up to date, every stage of the registry's chain as its own `codelake run` subprocess (timed;
`--repeats` rounds, each on a fresh copy of the k-dump lake, the k interleaved within a round so that every k
sees the same load; the fastest counts). The files each incremental stage decided and withdrew (as
`codelake run` prints them) are counted too: they do not depend on the machine's load. The figure to watch is
the ratio of the add at the largest k to the add at k = 1: it must stay within 1.5 (a stage that redid
the whole lake would grow it with k). Subprocess wall time includes interpreter start-up (the same at
every k); "own" is the time each stage reports for itself. Results also go to
bench/results/incremental-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from bench.ingest import MB, RESULTS_DIR, _env, run_measured
from bench.pipeline import _OWN_SECONDS
from bench.run_record import load_line, publish
from codelake.registry import CODE_CHAIN

TARGET_RATIO = 1.5
_INCREMENT = re.compile(r"; (full|incremental): (\d+) files decided \(dumps [^)]*\), (\d+) withdrawn")


def build_equal_dumps(dest: Path, count: int, dump_mb: float) -> list[Path]:
    """`count` directory dumps of about `dump_mb` each, cut in order from this machine's standard library and
    virtualenv packages (a repository cut across two dumps is crawled in both, as a later crawl would)."""
    from demo.build_dumps import (
        RepoPlan,
        _assign_manifests,
        pypi_repo,
        site_packages_dirs,
        site_packages_packages,
        stdlib_repo,
        write_directory_dump,
    )

    lib = Path(os.__file__).parent
    repos = [stdlib_repo(f"python/cpython-{sys.version_info.major}.{sys.version_info.minor}", lib)]
    for sp in site_packages_dirs():
        repos += [pypi_repo(name, path) for name, path in sorted(site_packages_packages(sp).items())]
    _assign_manifests(repos)
    per_dump = dump_mb * MB
    dumps: list[list[RepoPlan]] = [[]]
    size = 0
    for repo in repos:
        part = None
        for f in repo.files:
            if f.size > per_dump / 4:  # one huge file would make its dump unequal
                continue
            if size + f.size > per_dump:
                if len(dumps) == count:
                    break
                dumps.append([])
                size, part = 0, None
            if part is None:
                part = RepoPlan(repo.name, repo.source, repo.license, [], repo.fork_of, dict(repo.manifest))
                dumps[-1].append(part)
            part.files.append(f)
            size += f.size
        if len(dumps) == count and size + 1000 > per_dump:
            break
    if len(dumps) < count:
        raise SystemExit(f"this machine has too few files for {count} dumps of {dump_mb} MB")
    paths = []
    for i, plans in enumerate(dumps):
        path = dest / f"dump-{i:02d}"
        write_directory_dump(path, plans)
        paths.append(path)
    return paths


def run_stages(stages: list[str], dumps: list[Path], lake: Path, workdir: Path) -> dict[str, dict[str, float]]:
    """Each stage by `codelake run` (raw_files once per dump); per stage its wall seconds and its own."""
    cli = [sys.executable, "-m", "codelake.cli.main", "run"]
    times: dict[str, dict[str, float]] = {}
    for stage in stages:
        inputs = [str(d) for d in dumps] if stage == "raw_files" else [str(lake)]
        wall = own = 0.0
        for source in inputs:
            m = run_measured([*cli, stage, "--input", source, "--output", str(lake)], cwd=workdir, env=_env())
            wall += m.seconds
            reported = _OWN_SECONDS.search(m.stderr) or _OWN_SECONDS.search(m.stdout)
            own += float(reported.group(1)) if reported else m.seconds
        times[stage] = {"seconds": wall, "own_seconds": own}
        increment = _INCREMENT.search(m.stderr) or _INCREMENT.search(m.stdout)
        if increment:  # an incremental stage: the files it decided and withdrew
            times[stage].update(mode=increment.group(1), decided=int(increment.group(2)), withdrawn=int(increment.group(3)))
    return times


def _total(times: dict[str, dict[str, float]], key: str = "seconds") -> float:
    return sum(t[key] for t in times.values())


def bench(dumps: list[Path], ks: list[int], workdir: Path, repeats: int) -> dict:
    full = {}
    for k in ks:  # the k-dump lakes, each built from scratch: the full-rebuild baseline
        shutil.rmtree(workdir / f"lake-{k}", ignore_errors=True)
        full[k] = run_stages(CODE_CHAIN, dumps[:k], workdir / f"lake-{k}", workdir)
    adds: dict[int, list] = {k: [] for k in ks}
    for _ in range(repeats):
        for k in ks:  # interleaved: a load change on the shared machine hits every k alike
            copy = workdir / f"lake-{k}-add"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(workdir / f"lake-{k}", copy)
            adds[k].append(run_stages(CODE_CHAIN, [dumps[k]], copy, workdir))
            shutil.rmtree(copy, ignore_errors=True)
    rows = []
    for k in ks:
        shutil.rmtree(workdir / f"lake-{k}", ignore_errors=True)
        best = min(adds[k], key=_total)
        rows.append({
            "k": k,
            "lake_mb": sum(_du(d) for d in dumps[:k]) / MB,
            "full_rebuild_seconds": _total(full[k]),
            "full_rebuild_own_seconds": _total(full[k], "own_seconds"),
            "add_seconds": _total(best),
            "add_own_seconds": _total(best, "own_seconds"),
            "add_runs": [_total(a) for a in adds[k]],
            "add_stages": best,
        })
    first, last = rows[0], rows[-1]
    return {
        "dump_mb": sum(_du(d) for d in dumps) / len(dumps) / MB,
        "dumps": len(dumps),
        "repeats": repeats,
        "rows": rows,
        "ratio_add": last["add_seconds"] / first["add_seconds"],
        "ratio_add_own": last["add_own_seconds"] / first["add_own_seconds"],
        "ratio_full": last["full_rebuild_seconds"] / first["full_rebuild_seconds"],
    }


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def format_table(result: dict) -> str:
    ks = [r["k"] for r in result["rows"]]
    lines = [
        f"{result['dumps']} dumps of {result['dump_mb']:.2f} MB; add: fastest of {result['repeats']} on copies of the k-dump lake",
        "",
        f"{'k':>3}{'lake MB':>9}{'full rebuild s':>16}{'(own)':>8}{'add one dump s':>16}{'(own)':>8}{'add/full':>10}",
    ]
    for r in result["rows"]:
        lines.append(f"{r['k']:>3}{r['lake_mb']:>9.2f}{r['full_rebuild_seconds']:>16.2f}{r['full_rebuild_own_seconds']:>8.2f}"
                     f"{r['add_seconds']:>16.2f}{r['add_own_seconds']:>8.2f}{r['add_seconds'] / r['full_rebuild_seconds']:>10.2f}")
    lines += ["", "add one dump, per stage: seconds (own seconds) [files decided / withdrawn, incremental stages]: "
              + ", ".join(f"k={k}" for k in ks)]
    for stage in CODE_CHAIN:
        cells = []
        for r in result["rows"]:
            t = r["add_stages"][stage]
            files = f" [{t['decided']}/{t['withdrawn']}{'' if t['mode'] == 'incremental' else ' FULL'}]" if "decided" in t else ""
            cells.append(f"{t['seconds']:6.2f} ({t['own_seconds']:5.2f}){files}")
        lines.append(f"  {stage:<15}" + "  ".join(cells))
    verdict = "PASS" if result["ratio_add"] <= TARGET_RATIO else "FAIL"
    lines += [
        "",
        f"add at k={ks[-1]} / add at k={ks[0]}: {result['ratio_add']:.2f} (own {result['ratio_add_own']:.2f}); "
        f"target <= {TARGET_RATIO}: {verdict}",
        f"full rebuild at k={ks[-1]} / at k={ks[0]}: {result['ratio_full']:.2f} (what adding a dump would cost without increments)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.incremental", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump-mb", type=float, default=1.5, help="MB of files per dump (default 1.5)")
    parser.add_argument("--ks", default="1,2,4,8", help="lake sizes in dumps, ascending (default 1,2,4,8)")
    parser.add_argument("--repeats", type=int, default=2, help="adds measured per k, each on a fresh copy (default 2)")
    parser.add_argument("--workdir", type=Path, default=None, help="where dumps and lakes go (default: a temp dir, removed after)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON goes (default bench/results)")
    args = parser.parse_args(argv)
    ks = sorted(int(k) for k in args.ks.split(","))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-bench-incremental-"))
    load_before = os.getloadavg()
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        dumps = build_equal_dumps(workdir / "landing", ks[-1] + 1, args.dump_mb)
        result = bench(dumps, ks, workdir, max(1, args.repeats))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    publish(args.results, "incremental", result, load_before, lambda r: f"{format_table(r)}\n{load_line(r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
