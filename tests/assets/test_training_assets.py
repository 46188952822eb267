"""The training branch through Dagster, as a user materializes it: tokenizer -> pretrain_shards ->
pretrain_checkpoint, the job launched by the LocalLauncher resource (torchrun, Dagster Pipes); a failed
job fails the materialization with its log tail; the same inputs resume the same run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance, materialize

from assets.code import code_corpus
from assets.training import pretrain_checkpoint, pretrain_shards, tokenizer
from lakefactory import write_mixture
from resources import LakeResource, LocalLauncher, resources_for_deployment

TRAIN = {"preset": "tiny", "steps": 12, "warmup_steps": 2, "checkpoint_interval": 6, "learning_rate": 1e-3, "micro_batch": 2}


@pytest.fixture
def training_setup(small_lake, monkeypatch, tmp_path):
    lake, home = small_lake
    monkeypatch.setenv("CODELAKE_HOME", str(home))
    mixture = write_mixture(tmp_path / "mixture.yaml")
    monkeypatch.setattr("assets.training.PRETRAIN_MIXTURE", mixture.path)
    instance = DagsterInstance.ephemeral()
    resources = {**resources_for_deployment(), "lake": LakeResource(root=str(lake.root))}
    return lake, home, instance, resources


def _materialize(name, instance, resources, config=None, raise_on_error=True):
    return materialize(
        [code_corpus, tokenizer, pretrain_shards, pretrain_checkpoint],
        selection=[name],
        instance=instance,
        resources=resources,
        run_config={"ops": {name: {"config": config}}} if config else None,
        raise_on_error=raise_on_error,
    )


def test_materializing_the_training_branch_trains_a_model(training_setup):
    lake, home, instance, resources = training_setup
    _materialize("tokenizer", instance, resources)
    shards = _materialize("pretrain_shards", instance, resources)
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key([AssetCheckKey(AssetKey("pretrain_shards"), "rows_conserved")])
    assert check[AssetCheckKey(AssetKey("pretrain_shards"), "rows_conserved")].status.value == "SUCCEEDED"
    assert shards.get_asset_materialization_events()[0].materialization.metadata["tokens"].value > 10_000

    result = _materialize("pretrain_checkpoint", instance, resources, TRAIN)
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["steps"].value == 12
    assert metadata["final_loss"].value < metadata["first_loss"].value  # it learns from the real shards
    checkpoint = Path(metadata["checkpoint_path"].value)
    assert (checkpoint / "checkpoint_metadata.json").exists()
    run = json.loads((checkpoint.parents[1] / "run.json").read_text())
    assert run["pretrain_shards_version"] == lake.version("pretrain_shards") and "torch.distributed.run" in run["reproduce"]
    assert "| step | loss |" in metadata["loss_curve"].value

    # the same inputs: the same run folder, already trained to the last step, so nothing is trained again
    again = _materialize("pretrain_checkpoint", instance, resources, TRAIN)
    repeat = again.get_asset_materialization_events()[0].materialization.metadata
    assert repeat["checkpoint_path"].value == metadata["checkpoint_path"].value and repeat["resumed_from_step"].value == 12


def test_a_failed_job_fails_the_materialization_with_its_log(training_setup):
    lake, home, instance, resources = training_setup
    _materialize("tokenizer", instance, resources)
    _materialize("pretrain_shards", instance, resources)
    one_process = {**resources, "launcher": LocalLauncher(max_nproc=1)}
    result = _materialize("pretrain_checkpoint", instance, one_process, {**TRAIN, "dp": 2}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "needs 2 processes" in str(failure.event_specific_data.error)


def test_a_crashing_job_reports_its_log_tail(tmp_path):
    from dagster import asset

    from resources.launcher import TrainingJob

    log = tmp_path / "job.log"

    @asset
    def crashing(context, launcher: LocalLauncher):
        launcher.launch(context, TrainingJob("training.train", ("--config", str(tmp_path / "missing.yaml")), 1, log))

    result = materialize([crashing], instance=DagsterInstance.ephemeral(), resources={"launcher": LocalLauncher()}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "training job failed" in message and f"last lines of {log}" in message and "missing.yaml" in message
