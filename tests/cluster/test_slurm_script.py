"""The Slurm batch script as rendered (no cluster needed): multi-node srun torchrun, gres, the
rendezvous from Slurm's environment, and the errors a wrong request gets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from codelake.cluster.slurm import SlurmError, SlurmRequest, job_script
from codelake.cluster.torchrun import processes_per_node


def _script(tmp_path: Path, **request) -> str:
    return job_script(
        SlurmRequest("codelake-train", **request), python="/shared/env/bin/python", module="training.train",
        args=("--config", str(tmp_path / "config.yaml")), nproc_per_node=8, log_path=tmp_path / "train.log", workdir=tmp_path,
        env={"DAGSTER_PIPES_CONTEXT": "e30=", "NOTE": "it's here"}, setup=("module load cuda/12.4",),
    ).text


def test_a_two_node_gpu_job_runs_torchrun_on_every_node_meeting_at_the_first(tmp_path):
    text = _script(tmp_path, nodes=2, gpus_per_node=8, partition="gpu", account="lm", mem="200G", extra_args=("--exclusive",))
    directives = [line for line in text.splitlines() if line.startswith("#SBATCH")]
    for expected in ("--nodes=2", "--ntasks-per-node=1", "--gres=gpu:8", "--partition=gpu", "--account=lm", "--mem=200G", "--exclusive",
                     f"--output={tmp_path}/train.log", "--open-mode=append"):
        assert f"#SBATCH {expected}" in directives
    srun = next(line for line in text.splitlines() if line.startswith("srun "))
    assert '"--nnodes=${SLURM_NNODES}"' in srun and "--nproc_per_node=8" in srun and '"--rdzv_endpoint=${MASTER_ADDR}:${MASTER_PORT}"' in srun
    assert text.index("module load cuda/12.4") < text.index("srun ")
    assert "export NOTE='it'\"'\"'s here'" in text  # values quoted for the shell
    assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0  # the script parses


def test_a_cpu_job_asks_for_no_gres(tmp_path):
    assert "--gres" not in _script(tmp_path)


def test_paths_with_whitespace_are_refused_by_name(tmp_path):
    with pytest.raises(SlurmError, match="must not contain whitespace"):
        _script(tmp_path / "my runs")


def test_processes_split_evenly_over_nodes_or_the_error_says_why():
    assert processes_per_node(16, 2, "job") == 8
    with pytest.raises(ValueError, match="6 processes .* do not split evenly over 4 nodes"):
        processes_per_node(6, 4, "job")
