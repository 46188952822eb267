"""training.nanotron_config: presets and schedules from rules/training, WSD through Nanotron's own
scheduler, SFT defaults, and bad configs refused by Nanotron's parser with the file named."""

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
import nanotron_helpers as helpers  # noqa: E402

from training.nanotron_config import (  # noqa: E402
    NanotronConfigError,
    TrainingSpec,
    build_nanotron_config,
    load_preset,
    lr_schedule,
    resolve_checkpoint,
    validate_config,
    write_config,
)


def spec(tmp_path: Path, **overrides) -> TrainingSpec:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    fields = dict(run_name="r", preset="tiny", data_folders=[str(data)], checkpoints_path=str(tmp_path / "ckpt"),
                  vocab_size=300, steps=100)
    fields.update(overrides)
    return TrainingSpec(**fields)


@pytest.mark.parametrize(
    "preset, shape",
    [
        ("1.5b", (24, 2240, 6144, 14, 14, 96640, 4096)),
        ("8b", (32, 4096, 14336, 32, 8, 96640, 8192)),
    ],
)
def test_opencoder_presets_have_the_published_shapes_and_validate(tmp_path, preset, shape):
    p = load_preset(preset)
    assert (p["num_hidden_layers"], p["hidden_size"], p["intermediate_size"], p["num_attention_heads"],
            p["num_key_value_heads"], p["vocab_size"], p["sequence_length"]) == shape
    path = write_config(spec(tmp_path, preset=preset, vocab_size=None, tp=2), tmp_path / "c.yaml")
    config = validate_config(path)
    model = config.model.model_config
    assert (model.num_hidden_layers, model.hidden_size, model.num_key_value_heads, model.vocab_size) == (
        shape[0], shape[1], shape[4], shape[5])
    assert config.tokens.sequence_length == shape[6]
    assert str(config.model.dtype) == "torch.bfloat16" and config.optimizer.accumulate_grad_in_fp32
    assert config.codelake.token_size == 4  # 96,640 ids do not fit uint16
    assert config.codelake.rope_theta == load_preset(preset)["rope_theta"]


def test_tiny_takes_its_vocabulary_from_the_tokenizer(tmp_path):
    tokenizer, _ = helpers.fixture_data()
    config = build_nanotron_config(spec(tmp_path, vocab_size=None, tokenizer_path=str(tokenizer)))
    assert config["model"]["model_config"]["vocab_size"] == 300
    assert config["codelake"]["token_size"] == 2
    assert config["model"]["dtype"] == "float32" and config["optimizer"]["accumulate_grad_in_fp32"] is False
    with pytest.raises(NanotronConfigError, match="tokenizer_path or vocab_size"):
        build_nanotron_config(spec(tmp_path, vocab_size=None))


def nanotron_lrs(scheduler_args: dict, steps: int) -> list[float]:
    """The lr Nanotron's own scheduler gives each training step 1..steps."""
    import torch

    from training.nanotron_cpu import ensure_importable

    ensure_importable()
    from nanotron.config import LRSchedulerArgs
    from nanotron.helpers import lr_scheduler_builder

    class Wrapped(torch.optim.SGD):
        def get_base_optimizer(self):
            return self

    optimizer = Wrapped([torch.nn.Parameter(torch.zeros(1))], lr=scheduler_args["learning_rate"])
    scheduler = lr_scheduler_builder(optimizer, LRSchedulerArgs(**scheduler_args), steps)
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return lrs


def test_wsd_schedule_warms_up_holds_and_decays_over_the_last_steps():
    lrs = nanotron_lrs(lr_schedule(100, 3e-4, 1e-5, warmup_steps=10, decay_steps=20, decay_style="linear"), 100)
    assert lrs[0] == 0.0 and lrs[10] == pytest.approx(3e-4)
    assert lrs[5] == pytest.approx(1.5e-4)  # linear warm-up
    assert all(lr == pytest.approx(3e-4) for lr in lrs[10:81])  # the stable phase, up to the decay start
    assert lrs[81] < 3e-4 and lrs[-1] == pytest.approx(1e-5 + (3e-4 - 1e-5) / 20)
    assert lrs == sorted(lrs[:11]) + lrs[11:] and all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    cosine = nanotron_lrs(lr_schedule(50, 3e-4, 1e-5, warmup_steps=0, decay_steps=None, decay_style="cosine"), 50)
    assert cosine[0] == pytest.approx(3e-4)  # no warm-up: the anneal starts at the peak
    assert cosine[25] == pytest.approx(1e-5 + (3e-4 - 1e-5) / 2)
    with pytest.raises(NanotronConfigError, match="does not fit"):
        lr_schedule(10, 3e-4, 1e-5, warmup_steps=8, decay_steps=5, decay_style="cosine")


def test_pretrain_defaults_are_the_papers_and_sft_stages_count_steps_from_epochs(tmp_path):
    pretrain = build_nanotron_config(spec(tmp_path, steps=10000))["optimizer"]["learning_rate_scheduler"]
    assert (pretrain["learning_rate"], pretrain["lr_warmup_steps"], pretrain["lr_decay_steps"]) == (3e-4, 2000, 0)
    anneal = build_nanotron_config(spec(tmp_path, schedule="anneal", steps=500))["optimizer"]["learning_rate_scheduler"]
    assert (anneal["lr_decay_starting_step"], anneal["lr_decay_steps"], anneal["min_decay_lr"]) == (0, 500, 1e-5)

    tokenizer, data = helpers.fixture_data()
    # Pre-training shards carry no loss masks: the loss is on every token here (loss_on all).
    stage1 = build_nanotron_config(spec(tmp_path, schedule="sft_stage1", steps=None, vocab_size=None, micro_batch=2,
                                        tokenizer_path=str(tokenizer), data_folders=[str(data)], loss_on="all"))
    stage2 = build_nanotron_config(spec(tmp_path, schedule="sft_stage2", steps=None, vocab_size=None, micro_batch=2,
                                        tokenizer_path=str(tokenizer), data_folders=[str(data)], loss_on="all"))
    tokens = sum(p.stat().st_size for p in data.glob("*.ds")) // 2
    for config, lr, epochs, seq_len in ((stage1, 2e-5, 1, 1216), (stage2, 5e-5, 3, 1500)):
        schedule = config["optimizer"]["learning_rate_scheduler"]
        assert (schedule["learning_rate"], schedule["lr_decay_style"]) == (lr, "cosine")
        assert config["tokens"]["sequence_length"] == seq_len
        samples = sum(p.stat().st_size // 2 // (seq_len + 1) for p in data.glob("*.ds"))
        assert samples > 0 and tokens > samples * seq_len
        assert config["tokens"]["train_steps"] == -(-epochs * samples // 2)
        assert schedule["lr_warmup_steps"] == min(100, config["tokens"]["train_steps"])


def test_bad_configs_are_refused_with_the_file_named(tmp_path):
    good = write_config(spec(tmp_path), tmp_path / "good.yaml")
    raw = yaml.safe_load(good.read_text())

    no_style = tmp_path / "no_style.yaml"
    del raw["optimizer"]["learning_rate_scheduler"]["lr_warmup_style"]
    no_style.write_text(yaml.safe_dump(raw))
    with pytest.raises(NanotronConfigError, match=rf"{no_style}.*lr_warmup_style"):
        validate_config(no_style)

    raw = yaml.safe_load(good.read_text())
    raw["optimizer"]["accumulate_grad_in_fp32"] = True  # with float32 weights: Nanotron fails mid-run
    mismatch = tmp_path / "mismatch.yaml"
    mismatch.write_text(yaml.safe_dump(raw))
    with pytest.raises(NanotronConfigError, match=rf"{mismatch}.*accumulate_grad_in_fp32: false"):
        validate_config(mismatch)

    raw = yaml.safe_load(good.read_text())
    raw["tokens"]["sequence_lenght"] = 64  # a typo: Nanotron's parser is strict
    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump(raw))
    with pytest.raises(NanotronConfigError, match=rf"{typo}.*sequence_lenght"):
        validate_config(typo)

    with pytest.raises(NanotronConfigError, match="tp=3 must divide"):
        write_config(spec(tmp_path, tp=3), tmp_path / "tp3.yaml")
    assert not (tmp_path / "tp3.yaml").exists() and not (tmp_path / "tp3.yaml.tmp").exists()


def test_init_from_a_checkpoints_folder_resolves_its_latest_step(tmp_path):
    run = tmp_path / "pretrain"
    (run / "20").mkdir(parents=True)
    (run / "20" / "model_config.json").write_text("{}")
    (run / "latest.txt").write_text("20")
    assert resolve_checkpoint(run) == (run / "20").resolve()
    config = build_nanotron_config(spec(tmp_path, schedule="anneal", init_from=str(run)))
    assert config["model"]["init_method"] == {"path": str((run / "20").resolve())}
    assert config["codelake"]["init_from"] == str((run / "20").resolve())
    with pytest.raises(NanotronConfigError, match="not a Nanotron checkpoint"):
        resolve_checkpoint(tmp_path / "nothing")


def test_sft_schedules_default_to_the_answers_only_and_count_the_windows_with_an_answer(tmp_path):
    assert build_nanotron_config(spec(tmp_path))["codelake"]["loss_on"] == "all"
    assert build_nanotron_config(spec(tmp_path, schedule="anneal"))["codelake"]["loss_on"] == "all"
    tokenizer, data = helpers.sft_fixture()
    seq_len = 12  # short windows: some hold only prompt tokens
    config = build_nanotron_config(spec(tmp_path, schedule="sft_stage1", steps=None, vocab_size=None, micro_batch=2, seq_len=seq_len,
                                        tokenizer_path=str(tokenizer), data_folders=[str(data)]))
    assert config["codelake"]["loss_on"] == "assistant"
    # Windows whose labels hold no answer token are not trained on, so an epoch counts only the others.
    windows = [np.fromfile(m, dtype=np.uint8) for m in sorted(data.glob("*.ds.loss_mask"))]
    with_answer = sum(int(w[: len(w) // (seq_len + 1) * (seq_len + 1)].reshape(-1, seq_len + 1)[:, 1:].any(axis=1).sum()) for w in windows)
    every = sum(len(w) // (seq_len + 1) for w in windows)
    assert 0 < with_answer < every
    assert config["tokens"]["train_steps"] == -(-with_answer // 2)
    written = write_config(spec(tmp_path, schedule="sft_stage1", steps=5, vocab_size=None, seq_len=seq_len,
                                tokenizer_path=str(tokenizer), data_folders=[str(data)]), tmp_path / "sft.yaml")
    assert validate_config(written).codelake.loss_on == "assistant"


def test_answer_only_loss_is_refused_on_shards_without_masks_and_unknown_values_too(tmp_path):
    tokenizer, data = helpers.fixture_data()  # pre-training shards: no .ds.loss_mask
    with pytest.raises(NanotronConfigError, match="loss_mask"):
        write_config(spec(tmp_path, schedule="sft_stage1", steps=5, data_folders=[str(data)]), tmp_path / "a.yaml")
    with pytest.raises(NanotronConfigError, match="loss_mask"):
        build_nanotron_config(spec(tmp_path, schedule="sft_stage1", steps=None, data_folders=[str(data)]))
    with pytest.raises(NanotronConfigError, match="loss_on must be one of"):
        build_nanotron_config(spec(tmp_path, loss_on="prompt"))
    assert not (tmp_path / "a.yaml").exists()
