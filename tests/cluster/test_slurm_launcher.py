"""The Slurm launcher on a real single-node Slurm cluster: the tiny pretrain_checkpoint materialized
through sbatch + srun torchrun, its metrics back as metadata through Dagster Pipes files; a job killed
with scancel fails the materialization with its log tail."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from assets.code import code_corpus
from assets.training import pretrain_checkpoint, pretrain_shards, tokenizer
from lakefactory import write_mixture
from resources import LakeResource, resources_for_deployment
from resources.slurm_launcher import SlurmLauncher

pytestmark = pytest.mark.slurm

TRAIN = {"preset": "tiny", "steps": 8, "warmup_steps": 2, "checkpoint_interval": 4, "learning_rate": 1e-3, "micro_batch": 2}


@pytest.fixture
def trained_inputs(small_lake, monkeypatch, tmp_path):
    lake, home = small_lake
    monkeypatch.setenv("CODELAKE_HOME", str(home))
    monkeypatch.setattr("assets.training.PRETRAIN_MIXTURE", write_mixture(tmp_path / "mixture.yaml").path)
    instance = DagsterInstance.ephemeral()
    resources = {**resources_for_deployment("local"), "lake": LakeResource(root=str(lake.root))}
    for name in ("tokenizer", "pretrain_shards"):
        _materialize(name, instance, resources)
    return instance, {**resources, "launcher": SlurmLauncher(poll_seconds=0.3, cpus_per_node=1)}


def _materialize(name, instance, resources, config=None, raise_on_error=True):
    return materialize(
        [code_corpus, tokenizer, pretrain_shards, pretrain_checkpoint], selection=[name], instance=instance, resources=resources,
        run_config={"ops": {name: {"config": config}}} if config else None, raise_on_error=raise_on_error,
    )


def _scontrol(job_id: str) -> str:
    return subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True).stdout


def test_pretrain_checkpoint_trains_through_slurm(slurm_cluster, trained_inputs):
    instance, resources = trained_inputs
    result = _materialize("pretrain_checkpoint", instance, resources, TRAIN)
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    job_id = str(metadata["slurm_job_id"].value)
    assert "JobState=COMPLETED" in _scontrol(job_id) and "ExitCode=0:0" in _scontrol(job_id)
    assert metadata["steps"].value == 8 and metadata["final_loss"].value < metadata["first_loss"].value
    checkpoint = Path(metadata["checkpoint_path"].value)
    assert (checkpoint / "checkpoint_metadata.json").exists()
    run_dir = checkpoint.parents[1]
    script = (run_dir / "slurm_job.sh").read_text()
    assert "srun --kill-on-bad-exit=1" in script and "torch.distributed.run" in script and "--rdzv_id=${SLURM_JOB_ID}" in script
    log = (run_dir / "train.log").read_text()
    assert f"slurm job {job_id} on" in log and "rendezvous" in log  # the batch script ran on the node and wrote the log


def test_a_job_killed_with_scancel_fails_with_its_log_tail(slurm_cluster, trained_inputs):
    instance, resources = trained_inputs
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.setdefault("result", _materialize(
        "pretrain_checkpoint", instance, resources, {**TRAIN, "steps": 400, "checkpoint_interval": 400, "seed": 7}, raise_on_error=False)))
    runner.start()
    job_id, deadline = None, time.monotonic() + 120
    while job_id is None and time.monotonic() < deadline:  # wait for the job to run, then kill it
        running = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i"], capture_output=True, text=True).stdout.split()
        job_id = running[0] if running else None
        time.sleep(0.2)
    assert job_id, "the training job never reached RUNNING"
    time.sleep(3)  # let it write to its log
    subprocess.run(["scancel", job_id], check=True)
    runner.join(timeout=120)
    assert not runner.is_alive()
    result = outcome["result"]
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert f"slurm job {job_id} ended CANCELLED" in message and "--- last lines of" in message
    # the tail is the cancelled job's own last words; the script's first line is in the whole log
    log = Path(message.split("--- last lines of ", 1)[1].split(" ---", 1)[0])
    assert f"slurm job {job_id} on" in log.read_text() and "CANCELLED" in message.split("--- last lines of", 1)[1]
