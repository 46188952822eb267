"""The training launcher: runs a training job outside the Dagster process and brings its results back
through Dagster Pipes. `LocalLauncher` starts `torchrun` on this machine; a cluster launcher (Slurm,
Kubernetes) implements the same `launch(context, job)` and returns the same `LaunchResult`."""

from __future__ import annotations

import shlex
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetExecutionContext, ConfigurableResource, Failure, MetadataValue, PipesSubprocessClient
from dagster._core.errors import DagsterPipesExecutionError  # not re-exported at the top level in 1.13
from pydantic import Field


@dataclass(frozen=True)
class TrainingJob:
    """What to run: `python -m <module> <args>` on `nproc` processes, its log kept at `log_path`."""

    module: str
    args: tuple[str, ...]
    nproc: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LaunchResult:
    metadata: dict  # what the job reported through Pipes (loss, lr, tokens/s, curve, checkpoint path)
    command: str  # the command line, to reproduce the job by hand


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"(no log at {path})"
    with path.open(errors="replace") as f:
        return "".join(deque(f, maxlen=lines))


class Launcher(ConfigurableResource):
    """What every training launcher does: run `job` outside the Dagster process, return what it reported."""

    def launch(self, context: AssetExecutionContext, job: TrainingJob) -> LaunchResult:
        raise NotImplementedError(f"{type(self).__name__}.launch")


class LocalLauncher(Launcher):
    """Runs training jobs with `torchrun --standalone` on this machine, as a subprocess of the run (never
    inside the Dagster process). The job's stdout and stderr go to the run's log and to a log file."""

    python: str = Field(default_factory=lambda: sys.executable, description="Interpreter with torch and nanotron installed")
    max_nproc: int = Field(default=2, description="Processes this machine may start for one job (dp * tp * pp)")
    forward_output: bool = Field(default=True, description="Also print the job's output in the run's stdout (it is always in the log file)")

    def command(self, job: TrainingJob) -> list[str]:
        return [self.python, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={job.nproc}", "-m", job.module, *job.args]

    def launch(self, context: AssetExecutionContext, job: TrainingJob) -> LaunchResult:
        if job.nproc > self.max_nproc:
            raise Failure(f"{job.module}: needs {job.nproc} processes (dp*tp*pp), this launcher allows {self.max_nproc} (launcher.max_nproc)")
        job.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = self.command(job)
        # tee keeps the whole log on disk for the failure message; pipefail keeps the job's exit status
        tee = 'tee -a "$LOG"' if self.forward_output else 'cat >> "$LOG"'
        wrapped = ["bash", "-c", f'set -o pipefail; "$@" 2>&1 | {tee}', "launch", *command]
        env = {**job.env, "LOG": str(job.log_path), "OMP_NUM_THREADS": job.env.get("OMP_NUM_THREADS", "1")}
        context.log.info(f"launching: {shlex.join(command)} (log: {job.log_path})")
        try:
            invocation = PipesSubprocessClient().run(context=context, command=wrapped, env=env)
        except DagsterPipesExecutionError as err:
            raise Failure(
                description=f"training job failed: {err}\n--- last lines of {job.log_path} ---\n{log_tail(job.log_path)}",
                metadata={"log": MetadataValue.path(str(job.log_path)), "command": shlex.join(command)},
            ) from err
        results = invocation.get_results()
        reported = {}
        for result in results:
            reported.update(result.metadata or {})
        return LaunchResult(reported, shlex.join(command))
