"""The Slurm launcher: the same `launch(context, job) -> LaunchResult` as LocalLauncher, with the job
submitted by `sbatch` and run as `srun torchrun` on the allocated nodes.

Dagster Pipes goes through two files in the job's run folder (context in, messages out), so the run
folder must be on storage that the submitting host and the compute nodes share (CODELAKE_HOME on a
shared file system in the `cluster` deployment). The launcher follows the job with `scontrol` (then
`sacct`) every `poll_seconds`, prints its log as it grows, and `scancel`s it when the Dagster step is
interrupted; a job that does not end COMPLETED with exit 0 fails the materialization with its log tail."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from dagster import AssetExecutionContext, Failure, MetadataValue, PipesFileContextInjector, PipesFileMessageReader, open_pipes_session
from pydantic import Field

from codelake.cluster import slurm
from codelake.cluster.torchrun import processes_per_node
from resources.launcher import LaunchResult, Launcher, TrainingJob, log_tail


class SlurmLauncher(Launcher):
    """Runs training jobs on a Slurm cluster: one `sbatch` per job, `srun torchrun` on each node with the
    rendezvous at the first node, GPUs requested through gres."""

    python: str = Field(default_factory=lambda: sys.executable, description="Interpreter with codelake, torch and nanotron, as the compute nodes see it (a pre-deployed environment on shared storage)")
    nodes: int = Field(default=1, description="Nodes per job; the job's dp*tp*pp processes are split evenly over them")
    gpus_per_node: int = Field(default=0, description="GPUs per node (--gres=gpu:N); 0 trains on CPU")
    cpus_per_node: int | None = Field(default=None, description="CPUs per node (--cpus-per-task); default: the partition's")
    mem: str | None = Field(default=None, description="Memory per node, e.g. 64G (--mem); default: the partition's")
    time_limit: str = Field(default="24:00:00", description="Wall-time limit (--time)")
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    extra_sbatch_args: list[str] = Field(default_factory=list, description="More #SBATCH options, e.g. --constraint=h100")
    setup: list[str] = Field(default_factory=list, description="Shell lines run before srun, e.g. 'module load cuda/12.4'")
    poll_seconds: float = Field(default=2.0, description="How often the job's state is asked")
    forward_output: bool = Field(default=True, description="Also print the job's log in the run's stdout (it is always in the log file)")

    def _request(self, job: TrainingJob) -> slurm.SlurmRequest:
        return slurm.SlurmRequest(
            job_name=f"codelake-{job.module.rsplit('.', 1)[-1]}", nodes=self.nodes, gpus_per_node=self.gpus_per_node,
            cpus_per_node=self.cpus_per_node, mem=self.mem, time_limit=self.time_limit, partition=self.partition,
            account=self.account, qos=self.qos, extra_args=tuple(self.extra_sbatch_args),
        )

    def launch(self, context: AssetExecutionContext, job: TrainingJob) -> LaunchResult:
        try:
            per_node = processes_per_node(job.nproc, self.nodes, f"{job.module} on Slurm (launcher.nodes={self.nodes})")
        except ValueError as err:
            raise Failure(str(err)) from err
        run_dir = job.log_path.parent
        run_dir.mkdir(parents=True, exist_ok=True)
        script_path = run_dir / "slurm_job.sh"
        injector = PipesFileContextInjector(str(run_dir / "pipes_context.json"))
        reader = PipesFileMessageReader(str(run_dir / "pipes_messages.jsonl"))
        with open_pipes_session(context=context, context_injector=injector, message_reader=reader) as session:
            env = {"OMP_NUM_THREADS": "1", **job.env, **session.get_bootstrap_env_vars()}
            script = slurm.job_script(self._request(job), python=self.python, module=job.module, args=job.args, nproc_per_node=per_node,
                                      log_path=job.log_path, workdir=run_dir, env=env, setup=tuple(self.setup))
            script_path.write_text(script.text)
            script.exit_file.unlink(missing_ok=True)
            start = job.log_path.stat().st_size if job.log_path.exists() else 0
            try:
                job_id = slurm.submit(script_path)
            except slurm.SlurmError as err:
                raise Failure(str(err), metadata={"script": MetadataValue.path(str(script_path))}) from err
            context.log.info(f"slurm job {job_id}: {script_path} (log: {job.log_path})")
            state = self._follow(job_id, script.exit_file, job.log_path, start)
            results = session.get_results()
        command = f"sbatch {script_path}"
        if not state.succeeded:
            raise Failure(
                description=f"training job failed: slurm job {job_id} ended {state.state} (exit code {state.exit_code}"
                f"{', ' + state.reason if state.reason and state.reason != 'None' else ''}); script {script_path}\n"
                f"--- last lines of {job.log_path} ---\n{log_tail(job.log_path)}",
                metadata={"log": MetadataValue.path(str(job.log_path)), "slurm_job_id": job_id, "command": command,
                          "srun": shlex.join(script.command)},
            )
        reported = {"slurm_job_id": job_id}
        for result in results:
            reported.update(result.metadata or {})
        return LaunchResult(reported, command)

    def _follow(self, job_id: str, exit_file: Path, log_path: Path, offset: int) -> slurm.SlurmJobState:
        """Wait for the job to end, printing its log as it grows; cancel it if this step is interrupted."""
        try:
            while True:
                state = slurm.job_state(job_id, exit_file)
                offset = self._forward(log_path, offset)
                if state is None:
                    raise Failure(f"slurm job {job_id}: neither slurmctld, accounting nor {exit_file} knows how it ended")
                if state.final:
                    self._forward(log_path, offset)
                    return state
                time.sleep(self.poll_seconds)
        except BaseException:
            # the step was interrupted (or the launcher failed): a job nobody waits for must not keep the GPUs
            slurm.cancel(job_id)
            raise

    def _forward(self, log_path: Path, offset: int) -> int:
        if not self.forward_output or not log_path.exists():
            return offset
        with log_path.open("rb") as f:
            f.seek(offset)
            chunk = f.read()
        if chunk:
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()
        return offset + len(chunk)
