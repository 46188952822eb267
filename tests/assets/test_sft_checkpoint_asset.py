"""sft_checkpoint through Dagster: both stages packed with loss masks, trained on the answers only by
default, and the metadata says so; an unknown `loss_on` fails before anything is launched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from dagster import AssetMaterialization, DagsterInstance, MetadataValue, materialize

from assets.code import code_corpus
from assets.training import sft_checkpoint, tokenizer
from lakefactory import write_mixture
from resources import LakeResource, resources_for_deployment

sys.path.insert(0, str(Path(__file__).parents[1] / "training"))
import nanotron_helpers as helpers  # noqa: E402

from training.nanotron_config import write_config  # noqa: E402

SFT = {"preset": "tiny", "steps": 2, "warmup_steps": 1, "decay_steps": 0, "checkpoint_interval": 2, "micro_batch": 2, "seq_len": 64}


@pytest.fixture
def sft_setup(small_lake, monkeypatch, tmp_path):
    lake, home = small_lake
    monkeypatch.setenv("CODELAKE_HOME", str(home))
    monkeypatch.setattr("assets.training.PRETRAIN_MIXTURE", write_mixture(tmp_path / "mixture.yaml").path)
    instance = DagsterInstance.ephemeral()
    resources = {**resources_for_deployment(), "lake": LakeResource(root=str(lake.root))}
    chat_tokenizer, _ = helpers.sft_fixture()
    materialize([code_corpus, tokenizer], selection=["tokenizer"], instance=instance, resources=resources,
                run_config={"ops": {"tokenizer": {"config": {"path": str(chat_tokenizer)}}}})
    chats = tmp_path / "chats.jsonl"
    chats.write_text("".join(json.dumps(r) + "\n" for r in helpers.chat_records(120, seed=3)))
    return instance, resources, {**SFT, "stage1": str(chats), "stage2": str(chats)}


def _report_annealed(instance, checkpoint: Path) -> None:
    instance.report_runless_asset_event(AssetMaterialization("annealed_checkpoint", metadata={"checkpoint_path": MetadataValue.path(str(checkpoint))}))


def _sft(instance, resources, config, raise_on_error=True):
    return materialize([sft_checkpoint], instance=instance, resources=resources, run_config={"ops": {"sft_checkpoint": {"config": config}}},
                       raise_on_error=raise_on_error)


def test_sft_trains_on_the_answers_only_and_says_so(sft_setup):
    instance, resources, config = sft_setup
    # The annealed checkpoint SFT starts from: a two-step run of the same vocabulary, reported as materialized.
    chat_tokenizer, shards = helpers.sft_fixture()
    run = Path(config["stage1"]).parent / "annealed"
    assert helpers.run_train(write_config(helpers.tiny_spec(run, shards, chat_tokenizer, loss_on="all", steps=2, checkpoint_interval=2),
                                          run / "config.yaml")).returncode == 0
    _report_annealed(instance, run / "ckpt" / "2")
    metadata = _sft(instance, resources, config).get_asset_materialization_events()[0].materialization.metadata
    for stage in ("sft_stage1", "sft_stage2"):
        assert metadata[f"{stage}/loss_on"].value == "assistant"
        assert metadata[f"{stage}/answer_tokens"].value > 0 and 0 < metadata[f"{stage}/target_label_share"].value < 1
        assert metadata[f"{stage}/steps"].value == 2
        written = yaml.safe_load(Path(metadata[f"{stage}/config"].value).read_text())
        assert written["codelake"]["loss_on"] == "assistant"
        shard_folder = Path(written["codelake"]["data_folders"][0])
        assert sorted(p.name for p in shard_folder.iterdir() if p.name.endswith(".loss_mask")) == ["00000.ds.loss_mask"]
    assert metadata["sft_stage2/init_from"].value == metadata["sft_stage1/checkpoint_path"].value


def test_an_unknown_loss_on_fails_before_launch(sft_setup):
    instance, resources, config = sft_setup
    _report_annealed(instance, Path(config["stage1"]).parent / "no-checkpoint-needed")  # refused before it is read
    result = _sft(instance, resources, {**config, "loss_on": "prompt"}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "loss_on must be one of" in str(failure.event_specific_data.error)
