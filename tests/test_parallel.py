"""ordered_map: results in input order; its worker processes die with the process that started them,
however it dies (SIGKILL included), and `codelake run transformed` killed mid-run leaves no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from codelake.parallel import ordered_map
from dumpfactory import MANIFEST, manifest, write_dir_dump

ROOT = Path(__file__).resolve().parents[1]


def _descendants_once_started(proc: subprocess.Popen, count: int, timeout: float = 60.0) -> list[psutil.Process]:
    """The process tree under `proc` as soon as it holds `count` processes (polled every 20 ms)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode} before starting {count} processes: {proc.stderr.read().decode()[-2000:]}")
        try:
            found = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            found = []
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no {count} child processes within {timeout} s")


def _kill_and_assert_tree_gone(proc: subprocess.Popen, tree: list[psutil.Process], within: float = 5.0) -> None:
    pids = [p.pid for p in tree]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    _, alive = psutil.wait_procs(tree, timeout=within)
    survivors = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for p in survivors:  # a failing run must not leave them behind either
        p.kill()
    assert not survivors, f"still running {within} s after SIGKILL of {proc.pid}: {[(p.pid, p.cmdline()) for p in survivors]} (of {pids})"


def _run_script(body: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(body)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_results_come_back_in_input_order_in_processes_and_threads():
    items = [(i, -i) for i in range(50)]
    assert list(ordered_map(abs, iter(items), 3)) == [(i, i) for i in range(50)]
    assert list(ordered_map(abs, iter(items), 3, threads=True)) == [(i, i) for i in range(50)]


def test_a_pool_driven_from_another_thread_works_and_ends_with_it():
    # Worker processes are tied to the thread that starts them: a generator advanced by a background
    # thread (as the lake's prefetch does) must still see every result.
    results: list = []
    driver = threading.Thread(target=lambda: results.extend(ordered_map(abs, ((i, -i) for i in range(40)), 2)))
    driver.start()
    driver.join(60)
    assert results == [(i, i) for i in range(40)]


@pytest.mark.parametrize(
    "work",
    [
        # sleeping workers: the owner-watching thread ends them
        "ordered_map(time.sleep, ((i, 30) for i in range(100)), 2)",
        # workers busy in one C call that never releases the GIL: only the kernel's parent-death signal can
        "ordered_map(sum, ((i, range(10**12)) for i in range(100)), 2)",
    ],
    ids=["sleeping", "holding-the-gil"],
)
def test_sigkill_of_the_owner_ends_its_worker_processes(work):
    proc = _run_script(
        f"""
        import time
        from codelake.parallel import ordered_map
        for _ in {work}:
            pass
        """
    )
    try:
        tree = _descendants_once_started(proc, 2)
        time.sleep(0.3)  # let the workers pick up their tasks
        tree = psutil.Process(proc.pid).children(recursive=True)
        _kill_and_assert_tree_gone(proc, tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _lake_for_transformed(tmp_path: Path) -> Path:
    """A lake through fuzzy_dedup with enough text that `transformed` works for a while (~1,500 files)."""
    from codelake.exact_dedup import run_exact_dedup
    from codelake.fuzzy_dedup import run_fuzzy_dedup
    from codelake.lake import Lake
    from codelake.raw_files import run_raw_files

    body = "".join(f"def f{j}(x):\n    # contact dev{j}@corp-mail.net\n    return x * {j}\n\n" for j in range(120))
    files = {MANIFEST: manifest("o/big")}
    for i in range(1500):
        files[f"pkg/m{i}.py"] = f"# module {i}\n{body}".encode()
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-big", {"big": files}))
    run_exact_dedup(lake)
    run_fuzzy_dedup(lake, workers=2)
    return lake.root


def test_sigkill_of_codelake_run_transformed_leaves_no_worker(tmp_path):
    lake = str(_lake_for_transformed(tmp_path))
    proc = _run_script(
        f"""
        import sys
        from codelake.cli.main import main
        sys.exit(main(["run", "transformed", "--input", {lake!r}, "--output", {lake!r}, "--workers", "2"]))
        """
    )
    try:
        tree = _descendants_once_started(proc, 2)
        _kill_and_assert_tree_gone(proc, tree)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
