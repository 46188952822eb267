"""Where the data stages' per-batch work runs: this machine's pool or a Ray cluster (one executor interface)."""

from codelake.compute.executor import BatchExecutor, LocalExecutor, RayExecutor, TableOutput, batch_executor, batch_map, running_on

__all__ = ["BatchExecutor", "LocalExecutor", "RayExecutor", "TableOutput", "batch_executor", "batch_map", "running_on"]
