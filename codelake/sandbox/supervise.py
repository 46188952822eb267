"""Start one program, read its output within bounds, enforce the wall clock, and say how it ended.

The program starts in a new session (its own process group). On timeout or an output flood the whole
group is killed with SIGKILL; under bwrap that kills bwrap, whose pid-namespace init then dies and
takes every process of the sandbox with it (children that outlived their parent included).
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from codelake.sandbox.capture import BoundedCapture

SETPRIV = shutil.which("setpriv")  # util-linux
DRAIN_SECONDS = 0.5  # after the program exits: how long stray holders of its pipes may keep them open


@dataclass
class RawOutcome:
    wait_status: int | None  # os.wait4 status; None when the program never started
    timed_out: bool
    output_flood: bool
    stdout: BoundedCapture
    stderr: BoundedCapture
    seconds: float
    cpu_seconds: float
    start_error: str | None = None


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def supervise(
    argv: list[str],
    *,
    wall_seconds: float,
    output_bytes: int,
    kept_output_bytes: int,
    stdin_fd: int | None = None,
    pass_fds: tuple[int, ...] = (),
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    run_as_uid: int | None = None,
    popen: Callable[..., subprocess.Popen] = subprocess.Popen,
) -> RawOutcome:
    """`popen`: how to start it (a launcher's, already as the sandbox uid: then `run_as_uid` is None)."""
    out, err = BoundedCapture(kept_output_bytes), BoundedCapture(kept_output_bytes)
    ids: dict = {}
    if run_as_uid is not None and SETPRIV:
        # setpriv drops to the uid after exec: Popen can then vfork instead of copying this (maybe
        # large) process with fork, as it must to change ids itself (1.5 ms less per run here)
        argv = [SETPRIV, f"--reuid={run_as_uid}", f"--regid={run_as_uid}", "--clear-groups", "--", *argv]
    elif run_as_uid is not None:
        ids = {"user": run_as_uid, "group": run_as_uid, "extra_groups": []}
    started = time.monotonic()
    try:
        proc = popen(
            argv,
            stdin=stdin_fd if stdin_fd is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=pass_fds,
            cwd=cwd,
            env=env if env is not None else {},
            start_new_session=True,
            **ids,
        )
    except OSError as error:
        return RawOutcome(None, False, False, out, err, time.monotonic() - started, 0.0, f"{argv[0]}: {error}")
    pidfd = os.pidfd_open(proc.pid)
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ, out)
    selector.register(proc.stderr, selectors.EVENT_READ, err)
    selector.register(pidfd, selectors.EVENT_READ, None)
    deadline = started + wall_seconds
    timed_out = flood = False
    wait_status = None
    usage = None
    open_streams = 2
    try:
        while open_streams or wait_status is None:
            now = time.monotonic()
            if now >= deadline:
                if wait_status is not None:
                    break  # exited, but something still holds its pipes: stop reading
                timed_out = True
                _kill_group(proc.pid)
                deadline = now + DRAIN_SECONDS + 5.0  # SIGKILL is prompt; the margin is for a loaded machine
            for key, _ in selector.select(deadline - now):
                if key.data is None:  # the pidfd: the program has exited (a zombie until waited for)
                    _kill_group(proc.pid)  # before reaping, while the group id cannot be reused
                    _, wait_status, usage = os.wait4(proc.pid, 0)
                    proc.returncode = os.waitstatus_to_exitcode(wait_status)
                    selector.unregister(pidfd)
                    deadline = min(deadline, time.monotonic() + DRAIN_SECONDS)
                    continue
                chunk = os.read(key.fileobj.fileno(), 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                key.data.add(chunk)
                if key.data.total > output_bytes and not flood and wait_status is None:
                    flood = True
                    _kill_group(proc.pid)
    finally:
        selector.close()
        os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
        if wait_status is None:  # an exception above: leave nothing running
            _kill_group(proc.pid)
            _, wait_status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(wait_status)
    cpu = usage.ru_utime + usage.ru_stime if usage else 0.0
    return RawOutcome(wait_status, timed_out, flood, out, err, time.monotonic() - started, cpu)
