"""Ordered, bounded parallel map over batches: the unit of work runs in worker processes (Ray later), or in
threads when it releases the GIL (numba kernels), which spares pickling the batches.

Each item is (context, argument): the argument goes to a worker, the context (ids, metadata) stays
here and comes back with the result, in input order. At most `workers + 1` batches are in flight,
so memory stays bounded however long the stream is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

C = TypeVar("C")
R = TypeVar("R")


def ordered_map(
    fn: Callable[[Any], R],
    items: Iterable[tuple[C, Any]],
    workers: int = 2,
    threads: bool = False,
) -> Iterator[tuple[C, R]]:
    """`threads=True` runs `fn` in threads of this process (for work that releases the GIL; also the way
    for Polars work, since forking a process whose Polars thread pool runs can deadlock the child)."""
    if workers <= 1:
        for context, argument in items:
            yield context, fn(argument)
        return
    pool: Executor
    if threads:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="codelake-worker")
    else:
        pool = ProcessPoolExecutor(workers)
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
