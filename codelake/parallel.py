"""Ordered, bounded parallel map over batches: the unit of work runs in worker processes (Ray later), or in
threads when it releases the GIL (numba kernels), which spares pickling the batches.

Each item is (context, argument): the argument goes to a worker, the context (ids, metadata) stays
here and comes back with the result, in input order. At most `workers + 1` batches are in flight,
so memory stays bounded however long the stream is.

Worker processes die with the process that started the pool, however it dies (SIGKILL and the OOM
killer included, when no `finally` runs): each worker asks the kernel for SIGKILL when its parent
goes (`prctl(PR_SET_PDEATHSIG)`, which acts even while the worker holds the GIL in a long C call) and
also watches the owner's pid from a thread (for start methods whose parent is not the owner). Threads
need nothing: they end with their process.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

C = TypeVar("C")
R = TypeVar("R")


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _ask_kernel_for_death_with_parent() -> None:
    # The signal fires when the *thread* that forked this process ends: ordered_map starts and shuts
    # down its pool inside the one generator frame, so that thread outlives the workers' useful life.
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _owner_alive(owner: int) -> bool:
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_when_gone(owner: int) -> None:
    try:
        pidfd = os.pidfd_open(owner)  # readable once the owner has exited; no polling
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (Linux < 5.3, other systems): poll
        while _owner_alive(owner):
            time.sleep(0.5)
        os._exit(1)
    select.select([pidfd], [], [])
    os._exit(1)


def die_with_owner(owner: int) -> None:
    """Worker initializer: end this process when process `owner` ends, whatever ends it."""
    if os.getppid() == owner:
        _ask_kernel_for_death_with_parent()
        if os.getppid() != owner:  # it died before the request was in place
            os._exit(1)
    threading.Thread(target=_exit_when_gone, args=(owner,), name="codelake-owner-watch", daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of worker processes that end with this process, however it ends."""
    return ProcessPoolExecutor(workers, initializer=die_with_owner, initargs=(os.getpid(),))


def ordered_map(
    fn: Callable[[Any], R],
    items: Iterable[tuple[C, Any]],
    workers: int = 2,
    threads: bool = False,
) -> Iterator[tuple[C, R]]:
    """`threads=True` runs `fn` in threads of this process (for work that releases the GIL; also the way
    for Polars work, since forking a process whose Polars thread pool runs can deadlock the child).
    Worker processes are started by the thread that advances this generator and end with it."""
    if workers <= 1:
        for context, argument in items:
            yield context, fn(argument)
        return
    pool: Executor
    if threads:
        from codelake.polars_threads import prepare_polars_for_threads

        prepare_polars_for_threads()  # Polars' unlocked first uses, here rather than racing on the workers
        pool = ThreadPoolExecutor(workers, thread_name_prefix="codelake-worker")
    else:
        pool = process_pool(workers)
    with pool:
        in_flight: deque = deque()
        for context, argument in items:
            in_flight.append((context, pool.submit(fn, argument)))
            if len(in_flight) > workers:
                done_context, future = in_flight.popleft()
                yield done_context, future.result()
        while in_flight:
            done_context, future = in_flight.popleft()
            yield done_context, future.result()
