"""Slurm for training jobs: the batch script (`srun torchrun`, rendezvous from Slurm's environment, GPUs
through gres), `sbatch` to submit it, `scontrol`/`sacct` to follow it, `scancel` to stop it.

Why our own sbatch instead of dagster-slurm: it talks to slurmctld with the stock client commands on the
submitting host, so it needs no SSH to a login node, no slurmdbd accounting (scontrol answers while the
job is recent; sacct is asked only after slurmctld has purged it) and no Dagster-minor lock-step; the
job's results come back through files on the shared storage the lake already needs (see
resources/slurm_launcher.py)."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from codelake.cluster.torchrun import torchrun_command

# States after which a job never runs again (`man squeue`, JOB STATE CODES).
FINAL_STATES = {
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED",
}


class SlurmError(RuntimeError):
    pass


@dataclass(frozen=True)
class SlurmRequest:
    """What one training job asks Slurm for."""

    job_name: str
    nodes: int = 1
    gpus_per_node: int = 0
    cpus_per_node: int | None = None  # torchrun and its workers share one task per node
    mem: str | None = None  # per node, e.g. "64G"; None: the partition's default
    time_limit: str = "24:00:00"
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    extra_args: tuple[str, ...] = ()  # further `#SBATCH` options, e.g. ("--constraint=a100",)


@dataclass(frozen=True)
class SlurmJobState:
    job_id: str
    state: str  # first word of JobState: RUNNING, COMPLETED, CANCELLED ("CANCELLED by 0" in sacct), ...
    exit_code: str = "0:0"  # "<status>:<signal>"
    reason: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "COMPLETED" and self.exit_code.split(":")[0] == "0"


@dataclass(frozen=True)
class JobScript:
    text: str
    exit_file: Path  # written by the script on exit with its status: the last word when Slurm forgot the job
    command: list[str] = field(default_factory=list)  # the torchrun command srun runs on every node


def _shell_word(word: str) -> str:
    # `${SLURM_...}` must expand in the batch shell; everything else is quoted as is.
    return f'"{word}"' if "${" in word else shlex.quote(word)


def job_script(
    request: SlurmRequest,
    *,
    python: str,
    module: str,
    args: tuple[str, ...],
    nproc_per_node: int,
    log_path: Path,
    workdir: Path,
    env: dict[str, str],
    setup: tuple[str, ...] = (),
) -> JobScript:
    """The batch script: one task per node, each running torchrun with `nproc_per_node` workers, all
    meeting at the first node of the allocation on a port derived from the job id."""
    for where in (log_path, workdir):
        if any(c.isspace() for c in str(where)):  # #SBATCH lines are split on whitespace, quotes or not
            raise SlurmError(f"{where}: a Slurm job's log and working directory must not contain whitespace")
    directives = [
        f"--job-name={request.job_name}",
        f"--nodes={request.nodes}",
        "--ntasks-per-node=1",
        f"--output={log_path}",
        "--open-mode=append",  # a resumed job keeps the earlier attempts' lines, as the local launcher does
        f"--chdir={workdir}",
        f"--time={request.time_limit}",
    ]
    if request.cpus_per_node:
        directives.append(f"--cpus-per-task={request.cpus_per_node}")
    if request.gpus_per_node:
        directives.append(f"--gres=gpu:{request.gpus_per_node}")
    for flag, value in (("--mem", request.mem), ("--partition", request.partition), ("--account", request.account), ("--qos", request.qos)):
        if value:
            directives.append(f"{flag}={value}")
    directives += list(request.extra_args)
    command = torchrun_command(
        python, module, args, nproc_per_node, nnodes="${SLURM_NNODES}", rdzv_endpoint="${MASTER_ADDR}:${MASTER_PORT}", rdzv_id="${SLURM_JOB_ID}"
    )
    exit_file = log_path.with_name(log_path.name + ".exit")
    lines = ["#!/bin/bash", *(f"#SBATCH {d}" for d in directives), ""]
    lines += [
        "set -euo pipefail",
        f"trap 'echo $? > {shlex.quote(str(exit_file))}' EXIT",
        *(f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())),
        *setup,
        'MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
        "MASTER_PORT=$((29500 + SLURM_JOB_ID % 1000))",
        'echo "codelake: slurm job $SLURM_JOB_ID on $SLURM_JOB_NODELIST ($SLURM_NNODES nodes), rendezvous $MASTER_ADDR:$MASTER_PORT"',
        "srun --kill-on-bad-exit=1 " + " ".join(_shell_word(w) for w in command),
        "",
    ]
    return JobScript("\n".join(lines), exit_file, command)


def _run(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as err:
        raise SlurmError(f"{command[0]}: not found on PATH (install Slurm's client commands on this host)") from err


def submit(script_path: Path) -> str:
    """`sbatch` the script; return the job id."""
    done = _run(["sbatch", "--parsable", str(script_path)])
    if done.returncode != 0:
        raise SlurmError(f"sbatch {script_path} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip().split(";")[0]


def _fields(text: str) -> dict[str, str]:
    return dict(re.findall(r"(\S+?)=(\S*)", text))


def job_state(job_id: str, exit_file: Path | None = None) -> SlurmJobState | None:
    """The job's state from slurmctld, from accounting once slurmctld has purged it (MinJobAge), or from
    the script's exit file; None when nobody knows the job."""
    shown = _run(["scontrol", "show", "job", "-o", job_id])
    if shown.returncode == 0 and shown.stdout.strip():
        fields = _fields(shown.stdout)
        return SlurmJobState(job_id, fields.get("JobState", "UNKNOWN"), fields.get("ExitCode", "0:0"), fields.get("Reason", ""))
    accounted = _run(["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "State,ExitCode"])
    if accounted.returncode == 0 and accounted.stdout.strip():
        state, _, exit_code = accounted.stdout.strip().splitlines()[0].partition("|")
        return SlurmJobState(job_id, state.split()[0], exit_code or "0:0", "from accounting")
    if exit_file is not None and exit_file.exists():
        status = exit_file.read_text().strip() or "1"
        return SlurmJobState(job_id, "COMPLETED" if status == "0" else "FAILED", f"{status}:0", f"from {exit_file}")
    return None


def cancel(job_id: str) -> None:
    _run(["scancel", job_id])
