"""codelake/sandbox/launcher.py: processes started by a launcher, the pool, and the pid-exit barrier."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

import pytest

from codelake.sandbox.launcher import Launcher, LauncherPool, launcher_pool, wait_for_exit
from codelake.sandbox.thread_state import supported

needs_root = pytest.mark.skipif(os.geteuid() != 0 or not supported(), reason="needs root on x86_64 or aarch64")


@needs_root
def test_a_launched_process_has_the_uid_no_capabilities_and_the_launchers_network():
    launcher = Launcher(65534)
    try:
        script = (
            "import os, socket\n"
            "caps = {l.split(':')[0]: l.split()[1] for l in open('/proc/self/status') if l.startswith('Cap')}\n"
            "print(os.getuid(), os.getgid(), os.getgroups(), caps['CapPrm'], caps['CapEff'], caps['CapAmb'])\n"
            "print([n for _, n in socket.if_nameindex()], os.readlink('/proc/self/ns/net'))\n"
        )
        runs = [launcher.popen(["/usr/bin/python3", "-I", "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate()[0].splitlines() for run in runs]
    finally:
        launcher.stop()
    assert outputs[0][0] == "65534 65534 [] 0000000000000000 0000000000000000 0000000000000000"
    interfaces, net = outputs[0][1].rsplit(" ", 1)
    assert interfaces == "['lo']"
    assert net != os.readlink("/proc/self/ns/net")
    assert outputs[1][1].rsplit(" ", 1)[1] == net  # the same namespace for every process it starts
    assert os.getuid() == 0  # this thread is untouched


@needs_root
def test_a_start_error_reaches_the_caller():
    launcher = Launcher(65534)
    try:
        with pytest.raises(FileNotFoundError):
            launcher.popen(["/nonexistent/program"])
        assert launcher.popen(["/bin/true"]).wait() == 0  # still serving
    finally:
        launcher.stop()


@needs_root
def test_pool_reuses_a_released_launcher_and_starts_one_when_all_are_busy():
    pool = LauncherPool(65534)
    first = pool.acquire()
    second = pool.acquire()  # first is busy
    assert second is not first
    pool.release(first)
    assert pool.acquire() is first
    pool.retire(first)
    pool.retire(second)
    assert pool.acquire() not in (first, second)  # retired ones are not handed out again


def test_no_launchers_without_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert launcher_pool(65534) is None


def test_wait_for_exit():
    running = subprocess.Popen(["/bin/sleep", "5"])
    try:
        started = time.monotonic()
        assert wait_for_exit(running.pid, 0.1) is False
        assert time.monotonic() - started < 2
    finally:
        running.kill()
    assert wait_for_exit(running.pid, 2.0) is True  # a zombie has exited
    running.wait()
    assert wait_for_exit(None, 0.1) is False  # unknown: not known to be gone


@needs_root
def test_a_sandbox_forked_along_starts_launchers_of_its_own_in_the_child(sandbox):
    # the parent's launcher threads do not exist in a forked child: handing work to them would hang
    if sandbox.launchers is None:
        pytest.skip("no launchers here")
    sandbox.run_python("pass")  # the pool holds an idle launcher of this process
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            result = sandbox.run_python("print(6 * 7)")
            os.write(write, result.stdout.encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        ready = select.select([read], [], [], 30)[0]
        output = os.read(read, 100) if ready else b"timed out"
    finally:
        os.close(read)
        os.kill(child, signal.SIGKILL) if not ready else None
        os.waitpid(child, 0)
    assert output == b"42\n"
