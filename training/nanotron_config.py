"""A Nanotron config from typed parameters: model preset, WSD / SFT schedule, `.ds` data, checkpoints.

`write_config(spec, path)` writes the YAML that `python -m training.train --config path` runs, after
validating it with Nanotron's own parser (strict: unknown or missing keys fail) and the cross-field
rules Nanotron only discovers mid-run. Presets are `rules/training/models.yaml`, schedules
`rules/training/schedules.yaml`.

The YAML holds Nanotron's sections plus one more, `codelake:` (data folders, token size, tokenizer,
preset and schedule names); it parses as `CodelakeConfig`, a subclass of Nanotron's `Config`, so the
whole file goes through the same strict parser, and every checkpoint's config.yaml carries it.
"""

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR
from training.loss_mask import LOSS_ON, missing_masks, trainable_windows

MODELS_RULES = RULES_DIR / "training" / "models.yaml"
SCHEDULES_RULES = RULES_DIR / "training" / "schedules.yaml"
_SCHEDULE_KEYS = ("learning_rate", "min_lr", "warmup_steps", "decay_steps", "decay_style", "epochs", "max_seq_len", "loss_on")
_MODEL_KEYS = (
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "sequence_length", "vocab_size", "rope_theta", "rms_norm_eps", "tie_word_embeddings", "init_std", "dtype",
)
_OPTIMIZER_KEYS = ("weight_decay", "clip_grad", "adam_beta1", "adam_beta2", "adam_eps")


class NanotronConfigError(ValueError):
    """A training config Nanotron would refuse (now or mid-run); the message names the file or field."""


@dataclass
class TrainingSpec:
    """Everything one training job needs; None means "the preset's / the schedule's default"."""

    run_name: str
    preset: str  # a key of rules/training/models.yaml: tiny, small, 1.5b, 8b
    data_folders: list[str]  # folders of datatrove .ds files (searched recursively)
    checkpoints_path: str  # where checkpoints go; a job restarted with the same path resumes
    schedule: str = "pretrain"  # a key of rules/training/schedules.yaml
    tokenizer_path: Optional[str] = None  # tokenizer.json; gives vocab_size when the preset has none
    vocab_size: Optional[int] = None
    token_size: Optional[int] = None  # bytes per token in the .ds files: 2 below 65,536 ids, else 4
    seq_len: Optional[int] = None
    micro_batch: int = 2
    grad_accum: int = 1
    steps: Optional[int] = None  # required unless the schedule (or `epochs`) gives epochs
    epochs: Optional[float] = None
    learning_rate: Optional[float] = None
    min_lr: Optional[float] = None
    warmup_steps: Optional[int] = None
    decay_steps: Optional[int] = None  # the last N steps decay; None: the schedule's rule
    decay_style: Optional[str] = None  # linear | cosine
    checkpoint_interval: int = 10
    init_from: Optional[str] = None  # a checkpoint (step folder, or a checkpoints folder: its latest)
    dp: int = 1
    tp: int = 1
    pp: int = 1
    seed: int = 42
    dtype: Optional[str] = None  # float32 | bfloat16; default: the preset's
    loss_on: Optional[str] = None  # all | assistant (the shards' .ds.loss_mask targets); default: the schedule's


@lru_cache(maxsize=None)
def _rules(path: Path) -> dict[str, Any]:
    return load_rule_file(path)


def load_preset(name: str) -> dict[str, Any]:
    presets = _rules(MODELS_RULES)
    if name not in presets:
        raise RuleFileError(f"{MODELS_RULES}: no model preset '{name}' (have: {', '.join(presets)})")
    preset = presets[name]
    missing = [k for k in _MODEL_KEYS if k not in preset]
    if missing:
        raise RuleFileError(f"{MODELS_RULES}: preset '{name}' lacks {missing}")
    return preset


def load_schedule(name: str) -> dict[str, Any]:
    schedules = {k: v for k, v in _rules(SCHEDULES_RULES).items() if k != "optimizer"}
    if name not in schedules:
        raise RuleFileError(f"{SCHEDULES_RULES}: no schedule '{name}' (have: {', '.join(schedules)})")
    missing = [k for k in _SCHEDULE_KEYS if k not in schedules[name]]
    if missing:
        raise RuleFileError(f"{SCHEDULES_RULES}: schedule '{name}' lacks {missing}")
    return schedules[name]


def load_optimizer_rules() -> dict[str, Any]:
    optimizer = _rules(SCHEDULES_RULES).get("optimizer")
    if not isinstance(optimizer, dict) or any(k not in optimizer for k in _OPTIMIZER_KEYS):
        raise RuleFileError(f"{SCHEDULES_RULES}: 'optimizer' must set {list(_OPTIMIZER_KEYS)}")
    return optimizer


def token_size_for(vocab_size: int) -> int:
    return 2 if vocab_size < 65536 else 4


def samples_in_folders(folders: list[str], seq_len: int, token_size: int, loss_on: str = "all") -> int:
    """Training samples of seq_len + 1 tokens in the .ds files (how datatrove's reader windows them); with
    loss_on assistant, those with a loss target (the others are skipped by training.ds_batches)."""
    if loss_on == "assistant":
        missing = missing_masks(folders, token_size)
        if missing:
            raise NanotronConfigError(f"loss_on assistant needs a .ds.loss_mask beside every .ds file; missing for {missing[:5]}")
        return trainable_windows(folders, seq_len)
    total = 0
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.ds")):
            total += path.stat().st_size // token_size // (seq_len + 1)
    return total


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint step folder; a checkpoints folder resolves to the step its latest.txt names."""
    path = Path(path)
    latest = path / "latest.txt"
    if latest.exists():
        path = path / latest.read_text().strip()
    if not (path / "model_config.json").exists():
        raise NanotronConfigError(f"{path}: not a Nanotron checkpoint (no model_config.json)")
    return path.resolve()


def _vocab_size(spec: TrainingSpec, preset: dict[str, Any]) -> int:
    if spec.vocab_size is not None:
        return spec.vocab_size
    if spec.tokenizer_path is not None:
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(spec.tokenizer_path)).get_vocab_size()
    if preset["vocab_size"] is not None:
        return int(preset["vocab_size"])
    raise NanotronConfigError(f"preset '{spec.preset}' takes its vocabulary from the tokenizer: give tokenizer_path or vocab_size")


def lr_schedule(steps: int, learning_rate: float, min_lr: float, warmup_steps: int, decay_steps: Optional[int],
                decay_style: str) -> dict[str, Any]:
    """Nanotron's LRSchedulerArgs for warm-up W, stable, decay over the last D steps (WSD)."""
    if decay_steps is None:
        decay_steps = steps - warmup_steps
    if warmup_steps < 0 or decay_steps < 0 or warmup_steps + decay_steps > steps:
        raise NanotronConfigError(
            f"schedule does not fit: {warmup_steps} warm-up + {decay_steps} decay steps > {steps} steps"
        )
    return {
        "learning_rate": learning_rate,
        "lr_warmup_steps": warmup_steps,
        # Nanotron validates the style before applying its default; a zero warm-up starts at the peak.
        "lr_warmup_style": "linear" if warmup_steps > 0 else "constant",
        "lr_decay_style": decay_style,
        "lr_decay_starting_step": steps - decay_steps,
        # Explicit, or Nanotron takes train_steps - warm-up and ignores the decay start.
        "lr_decay_steps": decay_steps,
        "min_decay_lr": min_lr,
    }


def build_nanotron_config(spec: TrainingSpec) -> dict[str, Any]:
    """The config as a plain dict (Nanotron's sections plus `codelake:`); not yet validated."""
    preset = load_preset(spec.preset)
    schedule = load_schedule(spec.schedule)
    optimizer = load_optimizer_rules()
    vocab_size = _vocab_size(spec, preset)
    token_size = spec.token_size or token_size_for(vocab_size)
    seq_len = spec.seq_len or schedule["max_seq_len"] or preset["sequence_length"]
    dtype = spec.dtype or preset["dtype"]
    loss_on = spec.loss_on or schedule["loss_on"]
    if loss_on not in LOSS_ON:
        raise NanotronConfigError(f"loss_on must be one of {LOSS_ON}, got {loss_on!r}")
    global_batch = spec.micro_batch * spec.grad_accum * spec.dp
    steps = spec.steps
    epochs = spec.epochs if spec.epochs is not None else schedule["epochs"]
    if steps is None:
        if epochs is None:
            raise NanotronConfigError(f"schedule '{spec.schedule}' has no epochs: give steps")
        samples = samples_in_folders(spec.data_folders, seq_len, token_size, loss_on)
        steps = max(1, math.ceil(epochs * samples / global_batch))
    pick = lambda name: getattr(spec, name) if getattr(spec, name) is not None else schedule[name]  # noqa: E731
    warmup_steps = min(pick("warmup_steps"), steps)
    decay_steps = pick("decay_steps")
    if decay_steps is not None:
        decay_steps = min(decay_steps, steps - warmup_steps)
    init_from = str(resolve_checkpoint(spec.init_from)) if spec.init_from else None
    checkpoints_path = str(Path(spec.checkpoints_path).resolve())
    return {
        "general": {"project": "codelake", "run": spec.run_name, "seed": spec.seed, "ignore_sanity_checks": True},
        "parallelism": {
            "dp": spec.dp, "tp": spec.tp, "pp": spec.pp,
            "pp_engine": "1f1b", "tp_mode": "ALL_REDUCE", "tp_linear_async_communication": False,
        },
        "model": {
            "model_config": {
                "bos_token_id": 0,
                "eos_token_id": 0,
                "hidden_act": "silu",
                "hidden_size": preset["hidden_size"],
                "initializer_range": preset["init_std"],
                "intermediate_size": preset["intermediate_size"],
                "is_llama_config": True,
                "max_position_embeddings": seq_len,
                "num_attention_heads": preset["num_attention_heads"],
                "num_hidden_layers": preset["num_hidden_layers"],
                "num_key_value_heads": preset["num_key_value_heads"],
                "pad_token_id": None,
                "pretraining_tp": 1,
                "rms_norm_eps": preset["rms_norm_eps"],
                "rope_scaling": None,
                "tie_word_embeddings": preset["tie_word_embeddings"],
                "use_cache": True,
                "vocab_size": vocab_size,
            },
            "init_method": {"path": init_from} if init_from else {"std": preset["init_std"]},
            "dtype": dtype,
            "make_vocab_size_divisible_by": 1,
            "ddp_bucket_cap_mb": 25,
        },
        "tokenizer": {"tokenizer_name_or_path": spec.tokenizer_path, "tokenizer_max_length": None},
        "checkpoints": {
            "checkpoints_path": checkpoints_path,
            "checkpoint_interval": spec.checkpoint_interval,
            "save_initial_state": False,
            # Pointing at the run's own folder makes a restarted job resume from its latest.txt.
            "resume_checkpoint_path": checkpoints_path,
            "checkpoints_path_is_shared_file_system": False,
        },
        "logging": {"log_level": "info", "log_level_replica": "info", "iteration_step_info_interval": 1},
        "tokens": {
            "sequence_length": seq_len,
            "train_steps": steps,
            "micro_batch_size": spec.micro_batch,
            "batch_accumulation_per_replica": spec.grad_accum,
            "val_check_interval": -1,
            "limit_val_batches": 0,
            "limit_test_batches": 0,
        },
        "optimizer": {
            "zero_stage": 0,
            "weight_decay": optimizer["weight_decay"],
            "clip_grad": optimizer["clip_grad"],
            # fp32 accumulation is for half-precision weights; with float32 weights Nanotron refuses it.
            "accumulate_grad_in_fp32": dtype != "float32",
            "adam_eps": optimizer["adam_eps"],
            "adam_beta1": optimizer["adam_beta1"],
            "adam_beta2": optimizer["adam_beta2"],
            "torch_adam_is_fused": False,
            "learning_rate_scheduler": lr_schedule(
                steps, pick("learning_rate"), pick("min_lr"), warmup_steps, decay_steps, pick("decay_style")
            ),
        },
        # No Nanotron dataset: training.train reads the .ds folders below itself.
        "data": {"dataset": None, "seed": spec.seed, "num_loading_workers": 0},
        "profiler": None,
        "lighteval": None,
        "codelake": {
            "data_folders": [str(Path(f).resolve()) for f in spec.data_folders],
            "token_size": token_size,
            "tokenizer_path": str(Path(spec.tokenizer_path).resolve()) if spec.tokenizer_path else None,
            "preset": spec.preset,
            "schedule": spec.schedule,
            "epochs": epochs,
            "rope_theta": preset["rope_theta"],
            "init_from": init_from,
            "loss_on": loss_on,
        },
    }


@lru_cache(maxsize=None)
def codelake_config_class():
    """Nanotron's Config plus the `codelake:` section, for Nanotron's own (strict) parser."""
    from training.nanotron_cpu import ensure_importable

    ensure_importable()
    from nanotron.config import Config

    @dataclass
    class CodelakeArgs:
        data_folders: list[str]
        token_size: int
        tokenizer_path: Optional[str] = None
        preset: Optional[str] = None
        schedule: Optional[str] = None
        epochs: Optional[float] = None
        rope_theta: Optional[float] = None
        init_from: Optional[str] = None
        loss_on: str = "all"

    @dataclass
    class CodelakeConfig(Config):
        codelake: Optional[CodelakeArgs] = None

    return CodelakeConfig


def validate_config(path: str | Path):
    """Parse with Nanotron's get_config_from_file, then the checks Nanotron makes only mid-run."""
    path = Path(path)
    config_class = codelake_config_class()  # makes nanotron importable first
    from nanotron.config import get_config_from_file

    try:
        config = get_config_from_file(str(path), config_class=config_class)
    except Exception as err:  # dacite and Nanotron's __post_init__ raise many kinds
        raise NanotronConfigError(f"{path}: Nanotron refuses this config: {type(err).__name__}: {err}") from err
    problems = _cross_field_problems(config)
    if problems:
        raise NanotronConfigError(f"{path}: " + "; ".join(problems))
    return config


def _cross_field_problems(config) -> list[str]:
    import torch

    problems = []
    model, parallel = config.model.model_config, config.parallelism
    if config.model.dtype == torch.float32 and config.optimizer.accumulate_grad_in_fp32:
        problems.append("model.dtype float32 requires optimizer.accumulate_grad_in_fp32: false")
    if model.num_attention_heads % parallel.tp or model.num_key_value_heads % parallel.tp:
        problems.append(f"tp={parallel.tp} must divide the attention heads ({model.num_attention_heads}) and KV heads ({model.num_key_value_heads})")
    if model.num_attention_heads % model.num_key_value_heads:
        problems.append("num_key_value_heads must divide num_attention_heads")
    if parallel.pp > model.num_hidden_layers:
        problems.append(f"pp={parallel.pp} exceeds the {model.num_hidden_layers} layers")
    schedule = config.optimizer.learning_rate_scheduler
    if schedule.lr_decay_starting_step is not None and schedule.lr_decay_starting_step + schedule.lr_decay_steps > config.tokens.train_steps:
        problems.append("the learning-rate decay ends after the last step")
    if config.codelake is None:
        problems.append("missing the 'codelake' section (data folders): write configs with training.nanotron_config")
    else:
        missing = [f for f in config.codelake.data_folders if not Path(f).is_dir()]
        if missing:
            problems.append(f"data folders do not exist: {missing}")
        if config.codelake.token_size not in (2, 4):
            problems.append(f"codelake.token_size must be 2 or 4, got {config.codelake.token_size}")
        elif config.codelake.token_size == 2 and model.vocab_size > 65536:
            problems.append(f"token_size 2 (uint16) cannot hold the ids of vocab_size {model.vocab_size}")
        if config.codelake.loss_on not in LOSS_ON:
            problems.append(f"codelake.loss_on must be one of {LOSS_ON}, got {config.codelake.loss_on!r}")
        elif config.codelake.loss_on == "assistant" and not missing:
            no_mask = missing_masks(config.codelake.data_folders, config.codelake.token_size)
            if no_mask:
                problems.append(f"loss_on assistant needs a .ds.loss_mask beside every .ds file (SFT shards of training.chat); missing for {no_mask[:5]}")
    return problems


def write_config(spec: TrainingSpec, path: str | Path) -> Path:
    """Write the YAML for `spec` and validate it; returns the path. A refused config is not left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = build_nanotron_config(spec)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        "# Written by training.nanotron_config from TrainingSpec:\n"
        + "".join(f"#   {k}: {v}\n" for k, v in asdict(spec).items())
        + yaml.safe_dump(config, sort_keys=False)
    )
    try:
        validate_config(tmp)
    except Exception:
        tmp.unlink()
        raise
    tmp.replace(path)
    return path
