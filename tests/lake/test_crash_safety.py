"""SIGKILL in the middle of a materialization: the previous version stays intact and the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
    # The child reports when it has streamed 1000 of 2500 files; it is killed at that moment.
    child = (
        "import sys\n"
        "from codelake.lake import Lake\n"
        "from codelake.raw_files import run_raw_files\n"
        "def progress(files, nbytes):\n"
        "    if files == 1000:\n"
        "        print('midway', flush=True)\n"
        "run_raw_files(Lake(sys.argv[1]), sys.argv[2], progress=progress)\n"
        "print('finished', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", child, str(lake.root), str(big)], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert proc.stdout.readline().strip() == "midway"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Data files of the killed write may exist, but no commit references them.
    assert lake.version("raw_files") == 0
    after = sorted(r["doc_id"] for r in lake.dataset("raw_files").to_table(columns=["doc_id"]).to_pylist())
    assert after == before
    report = run_raw_files(lake, big)
    assert report.rows_kept == 2500 and lake.version("raw_files") == 1 and lake.count("raw_files") == 2500
