"""SIGKILL in the middle of a materialization: the previous version stays intact and the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from codelake.lake import Lake
from codelake.raw_files import run_raw_files
from dumpfactory import MANIFEST, manifest, small_repos, write_dir_dump

ROOT = Path(__file__).resolve().parents[2]


def big_dump(path: Path, files: int = 2500, size: int = 60_000) -> Path:
    line = b"value = compute(alpha, beta, gamma)  # a realistic enough line of code\n"
    body = line * (size // len(line))
    repos = {f"r{i:03d}": {MANIFEST: manifest(f"o/r{i}")} for i in range(25)}
    for i in range(files):
        repos[f"r{i % 25:03d}"][f"pkg/m{i}.py"] = b"# %d\n" % i + body
    return write_dir_dump(path, repos)


def test_sigkill_midway_keeps_previous_version_and_rerun_completes(tmp_path):
    lake = Lake(tmp_path / "lake")
    first = write_dir_dump(tmp_path / "dump-k", small_repos())
    run_raw_files(lake, first)
    before = sorted(r["doc_id"] for r in lake.dataset("raw_files").to_table(columns=["doc_id"]).to_pylist())
    # The same dump name, now large: a re-materialization that replaces the partition.
    big = big_dump(tmp_path / "big" / "dump-k")
    table_dir = lake.table_path("raw_files")
    files_before = {p for p in table_dir.rglob("*") if p.is_file()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "codelake.cli.main", "run", "raw_files", "--input", str(big), "--output", str(lake.root)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = {p for p in table_dir.rglob("*") if p.is_file()} - files_before
        if any(p.suffix == ".parquet" for p in new):
            break
        assert proc.poll() is None, "the run finished before it could be killed; make the dump bigger"
        time.sleep(0.02)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Data files of the killed write may exist, but no commit references them.
    assert lake.version("raw_files") == 0
    after = sorted(r["doc_id"] for r in lake.dataset("raw_files").to_table(columns=["doc_id"]).to_pylist())
    assert after == before
    report = run_raw_files(lake, big)
    assert report.rows_kept == 2500 and lake.version("raw_files") == 1 and lake.count("raw_files") == 2500
