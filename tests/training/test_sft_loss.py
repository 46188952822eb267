"""SFT through training.train on CPU: the loss on the answers only (loss_on assistant, the SFT default) is a
different objective from the loss on every token, on the same weights and the same packed windows."""

import json
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import nanotron_helpers as helpers  # noqa: E402

from training.nanotron_config import write_config  # noqa: E402


STEPS = 4


def train_sft(run_dir: Path, loss_on: str | None, shards: Path | None = None) -> tuple[list[float], dict]:
    tokenizer, fixture_shards = helpers.sft_fixture()
    spec = helpers.tiny_spec(run_dir, shards or fixture_shards, tokenizer, schedule="sft_stage1", loss_on=loss_on, steps=STEPS,
                             checkpoint_interval=STEPS, warmup_steps=1, decay_steps=0)
    run = helpers.run_train(write_config(spec, run_dir / "config.yaml"))
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("training.train: result ")).split(" ", 2)[2])
    losses = [json.loads(line)["loss"] for line in (run_dir / "ckpt" / "metrics.jsonl").read_text().splitlines()]
    assert len(losses) == STEPS
    return losses, result


def test_answer_only_loss_differs_from_the_loss_on_every_token(tmp_path):
    answers, answers_result = train_sft(tmp_path / "answers", None)  # the sft_stage1 schedule's default
    every, every_result = train_sft(tmp_path / "every", "all")
    assert answers_result["loss_on"] == "assistant" and every_result["loss_on"] == "all"
    assert answers_result["samples_without_target"] == 0 and 0.1 < answers_result["target_label_share"] < 0.6
    assert answers_result["samples"] == every_result["samples"]  # the same windows, in the same order
    # Step 1: the same initial weights and batch, only the label mask differs; then the updates differ too.
    assert all(abs(a - e) > 1e-3 for a, e in zip(answers, every))

    # The mask is the only difference: shards whose masks mark every token train exactly like loss_on all.
    _, fixture_shards = helpers.sft_fixture()
    all_ones = shutil.copytree(fixture_shards, tmp_path / "all-ones-shards")
    for mask in all_ones.glob("*.ds.loss_mask"):
        np.ones(mask.stat().st_size, np.uint8).tofile(mask)
    ones, ones_result = train_sft(tmp_path / "ones", "assistant", all_ones)
    assert ones_result["loss_on"] == "assistant" and ones_result["target_label_share"] == 1.0
    assert max(abs(o - e) for o, e in zip(ones, every)) < 1e-5
