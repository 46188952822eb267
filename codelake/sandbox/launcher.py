"""Launcher threads: start bwrap already as the sandbox uid and inside a network namespace kept from run
to run, instead of paying per run for `setpriv` (one more exec) and a fresh network namespace (its
creation and the kernel's teardown): together ~2 ms of a ~10 ms snippet on 2 cores (bench/sandbox.py).

Only a root process can do this (it must create the namespace and change a thread's uid). Each launcher
is a thread that, once, moves into its own loopback-only network namespace and irrevocably becomes the
sandbox uid; `Popen` from it vforks a child with exactly those credentials and that namespace. Every
other namespace (user, pid, ipc, uts, cgroup, mount) stays per run, made by bwrap.

A launcher serves one run at a time, so programs running at once never share a network namespace. The
next run gets it only once the previous run's pid namespace is gone (`wait_for_exit` on its pid 1: the
kernel ends pid 1 only after every process of the namespace, and so every socket they held); otherwise
the launcher is retired and its namespace dies with its last process."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import threading
import weakref
from concurrent.futures import Future
from queue import SimpleQueue

from codelake.sandbox.thread_state import drop_to_uid, enter_loopback_only_network, supported

log = logging.getLogger(__name__)


class Launcher:
    """A thread with its own loopback-only network namespace and the sandbox uid, starting processes."""

    def __init__(self, uid: int):
        self.uid = uid
        self._requests: SimpleQueue = SimpleQueue()
        ready: Future = Future()
        # a daemon that lives as long as the process: bwrap's --die-with-parent fires when the thread
        # that started it ends, so a launcher thread must outlive its runs
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="codelake-sandbox-launcher", daemon=True)
        self._thread.start()
        ready.result()  # OSError where this process cannot make a namespace or change a thread's uid

    def _serve(self, ready: Future) -> None:
        try:
            enter_loopback_only_network()
            drop_to_uid(self.uid)
        except BaseException as error:  # noqa: BLE001 -- handed to the constructor; the thread ends
            ready.set_exception(error)
            return
        ready.set_result(None)
        while (request := self._requests.get()) is not None:
            future, argv, kwargs = request
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(subprocess.Popen(argv, **kwargs))
            except BaseException as error:  # noqa: BLE001 -- the caller's exception, raised in its thread
                future.set_exception(error)

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        """`subprocess.Popen(argv, **kwargs)`, started from this launcher's thread."""
        future: Future = Future()
        self._requests.put((future, argv, kwargs))
        try:
            return future.result()
        except BaseException:
            if future.cancel() or future.exception() is not None:
                raise
            process = future.result()  # started after all (interrupted while waiting): leave nothing running
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL) if kwargs.get("start_new_session") else process.kill()
            process.wait()
            raise

    def stop(self) -> None:
        self._requests.put(None)


def wait_for_exit(pid: int | None, seconds: float) -> bool:
    """Has process `pid` exited (within `seconds`)? None, an unknown pid: False; already gone: True."""
    if pid is None:
        return False
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([pidfd], [], [], seconds)[0])
    finally:
        os.close(pidfd)


class LauncherPool:
    """Idle launchers for one uid; `acquire` starts a new one when all are busy, so there are as many as
    runs have ever been in flight at once."""

    def __init__(self, uid: int):
        self.uid = uid
        self._forget_launchers()
        _every_pool.add(self)

    def _forget_launchers(self) -> None:
        """Also in a forked child: the launcher threads stayed in the parent; new ones start on demand."""
        self._idle: list[Launcher] = []
        self._lock = threading.Lock()

    def acquire(self) -> Launcher:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return Launcher(self.uid)

    def release(self, launcher: Launcher) -> None:
        with self._lock:
            self._idle.append(launcher)

    def retire(self, launcher: Launcher) -> None:
        launcher.stop()


_pools: dict[int, LauncherPool] = {}
_pools_lock = threading.Lock()
_every_pool: weakref.WeakSet[LauncherPool] = weakref.WeakSet()  # with a Sandbox that was forked along


def _after_fork_in_child() -> None:
    global _pools_lock
    _pools_lock = threading.Lock()
    for pool in list(_every_pool):
        pool._forget_launchers()


os.register_at_fork(after_in_child=_after_fork_in_child)


def launcher_pool(uid: int) -> LauncherPool | None:
    """This process's launchers for `uid`, or None where they cannot work here (not root, or the kernel
    refuses), and bwrap must make a network namespace per run and setpriv drop to the uid."""
    if os.geteuid() != 0 or not supported():
        return None
    with _pools_lock:
        pool = _pools.get(uid)
        if pool is None:
            pool = LauncherPool(uid)
            try:
                pool.release(pool.acquire())  # the first launcher now: fail here, not in a run
            except OSError as error:
                log.warning("sandbox launchers unavailable (%s): a network namespace per run, and setpriv", error)
                return None
            _pools[uid] = pool
    return pool
