"""Where a stage's per-batch work runs: one mechanism with two backends.

A stage driver hands its unit of work (a pure function over one batch) and the batches to `batch_map`;
the active executor runs them and gives the results back in input order, with a bounded number in
flight. With `output` (the table the rows go to), a distributed executor's tasks write their rows as
Parquet files themselves and hand back only the files' add actions and the small columns
(codelake.lake.parquet_files.WrittenFiles): the driver still commits everything once, and the texts
never travel back to it. `LocalExecutor` (the default) is codelake.parallel's pool of threads or processes on this machine;
`RayExecutor` runs each batch as a Ray task on a cluster. The driver's own code (reading its pinned
input, lineage, the one Delta commit) is the same either way; the Ray job entry point
(codelake.compute.stage_job) swaps the executor with `running_on` before it calls the stage.

The active executor is process-wide, not per thread: stage drivers consume their batches on helper
threads (codelake.lake.prefetch), which must see the same choice.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pyarrow as pa

from codelake.lake.parquet_files import WrittenFiles
from codelake.parallel import ordered_map

C = TypeVar("C")
R = TypeVar("R")


@dataclass(frozen=True)
class TableOutput:
    """Where the rows a unit of work returns go: table `table` of the lake at `lake_root`, in `schema`,
    partitioned by `partition_by`. `part`: the rows' index in the result tuple (None: the result is the
    rows); `keep`: the columns the driver still needs from them (counts, sizes)."""

    lake_root: str
    storage_options: dict[str, str] | None
    table: str
    schema: pa.Schema
    partition_by: tuple[str, ...]
    part: int | None = None
    keep: tuple[str, ...] = ()

    @classmethod
    def of(cls, lake, table: str, schema: pa.Schema, partition_by: list[str], part: int | None = None, keep: tuple[str, ...] = ()) -> TableOutput:
        # Only the settings' storage options travel; the keys come from each worker's own environment.
        return cls(str(lake.root), lake.configured_storage_options, table, schema, tuple(partition_by), part, keep)

    def written_by_worker(self, result):
        """Write the rows of `result` as Parquet files into the table's folder (uncommitted) and return the
        result with a WrittenFiles in their place."""
        from codelake.lake import Lake

        rows = result if self.part is None else result[self.part]
        batches = rows.to_batches() if isinstance(rows, pa.Table) else [rows]
        actions = Lake(self.lake_root, self.storage_options).write_files(self.table, batches, self.schema, list(self.partition_by))
        summary = pa.RecordBatch.from_arrays([rows.column(c) if isinstance(rows, pa.RecordBatch) else rows.column(c).combine_chunks() for c in self.keep],
                                             names=list(self.keep)) if self.keep else pa.RecordBatch.from_pydict({"_": [None] * rows.num_rows})
        written = WrittenFiles(actions, summary)
        if self.part is None:
            return written
        return tuple(written if i == self.part else value for i, value in enumerate(result))


class BatchExecutor(Protocol):
    name: str
    distributed: bool  # True: each batch travels to another machine's process (work needing this process's state must not be used)

    def map(self, fn: Callable[[Any], R], items: Iterable[tuple[C, Any]], workers: int = 2, threads: bool = False,
            output: TableOutput | None = None) -> Iterator[tuple[C, R]]:
        """(context, fn(argument)) for each (context, argument) of `items`, in input order. With `output`,
        an executor may write the rows itself and return WrittenFiles in their place."""
        ...


class LocalExecutor:
    """This machine: `workers` threads (`threads=True`, for work that releases the GIL) or processes."""

    name = "local"
    distributed = False

    def map(self, fn, items, workers=2, threads=False, output=None):
        return ordered_map(fn, items, workers, threads)  # the rows come back; the driver writes them


class RayExecutor:
    """Each batch is one Ray task (1 CPU) on the cluster this process is connected to (`ray.init` with
    `address`; inside a Ray job, "auto" finds the job's cluster). At most `in_flight` batches are
    submitted and not yet consumed (default: the cluster's CPUs + 1), so memory stays bounded as with
    the local pool; results come back in input order. `workers` and `threads` are the local pool's
    settings and do not apply: the cluster's CPUs decide the parallelism."""

    name = "ray"
    distributed = True

    def __init__(self, address: str | None = "auto", in_flight: int | None = None):
        self.address = address
        self.in_flight = in_flight

    def _connect(self):
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, log_to_driver=True, configure_logging=False)
        return ray

    def map(self, fn, items, workers=2, threads=False, output=None):
        ray = self._connect()
        limit = self.in_flight or max(2, int(ray.cluster_resources().get("CPU", 1)) + 1)
        remote_call = ray.remote(num_cpus=1)(_call)
        fn_ref = ray.put(fn if output is None else _WritingCall(fn, output))  # shipped once, not with every batch
        pending: deque = deque()
        try:
            for context, argument in items:
                pending.append((context, remote_call.remote(fn_ref, argument)))
                if len(pending) > limit:
                    done_context, ref = pending.popleft()
                    yield done_context, ray.get(ref)
            while pending:
                done_context, ref = pending.popleft()
                yield done_context, ray.get(ref)
        finally:
            for _, ref in pending:  # the consumer stopped early or a batch failed: the rest is not needed
                ray.cancel(ref)


def _call(fn, argument):
    return fn(argument)


class _WritingCall:
    def __init__(self, fn, output: TableOutput):
        self.fn, self.output = fn, output

    def __call__(self, argument):
        return self.output.written_by_worker(self.fn(argument))


_lock = threading.Lock()
_active: list[BatchExecutor] = [LocalExecutor()]


def batch_executor() -> BatchExecutor:
    return _active[-1]


@contextmanager
def running_on(executor: BatchExecutor):
    """Run the stages called inside this block on `executor`."""
    with _lock:
        _active.append(executor)
    try:
        yield executor
    finally:
        with _lock:
            _active.remove(executor)


def batch_map(fn: Callable[[Any], R], items: Iterable[tuple[C, Any]], workers: int = 2, threads: bool = False,
              output: TableOutput | None = None) -> Iterator[tuple[C, R]]:
    """The active executor's ordered map (see BatchExecutor.map)."""
    return batch_executor().map(fn, items, workers, threads, output)
