"""The one torchrun command line every launcher runs, single- or multi-node.

On one node torchrun rendezvouses with itself (`--standalone`); across nodes every node runs the same
command and meets at `rdzv_endpoint` (the first node), keyed by the scheduler's job id, so a requeued
or restarted job never joins a stale group."""

from __future__ import annotations


def torchrun_command(
    python: str,
    module: str,
    args: tuple[str, ...] | list[str],
    nproc_per_node: int,
    nnodes: int | str = 1,
    rdzv_endpoint: str | None = None,
    rdzv_id: str | None = None,
) -> list[str]:
    """`python -m torch.distributed.run ... -m module args`. `nnodes`, `rdzv_endpoint` and `rdzv_id` may be
    shell expressions (`$SLURM_NNODES`) that a job script expands; without an endpoint: standalone."""
    command = [python, "-m", "torch.distributed.run"]
    if rdzv_endpoint is None:
        command += ["--standalone", f"--nproc_per_node={nproc_per_node}"]
    else:
        command += [
            f"--nnodes={nnodes}",
            f"--nproc_per_node={nproc_per_node}",
            "--rdzv_backend=c10d",
            f"--rdzv_endpoint={rdzv_endpoint}",
            f"--rdzv_id={rdzv_id or 'codelake'}",
        ]
    return [*command, "-m", module, *args]


def processes_per_node(nproc: int, nodes: int, where: str) -> int:
    """Split a job's `nproc` processes (dp * tp * pp) evenly over `nodes`, or say why not."""
    if nodes < 1:
        raise ValueError(f"{where}: nodes must be at least 1, got {nodes}")
    if nproc % nodes:
        raise ValueError(f"{where}: {nproc} processes (dp*tp*pp) do not split evenly over {nodes} nodes")
    return nproc // nodes
