"""Train with Nanotron from a config written by `training.nanotron_config.write_config`.

    torchrun --nproc_per_node=N -m training.train --config run.yaml     # N = dp * tp * pp
    python -m training.train --config run.yaml                          # one process

On a host without CUDA (or without flash-attn) `training.nanotron_cpu` adapts Nanotron first. Data comes
from the config's `codelake.data_folders` (datatrove `.ds`). Checkpoints go to `checkpoints.checkpoints_path`
every `checkpoint_interval` steps and at the last step; a job started again with the same config resumes
from the latest one (a finished job reports its result again and exits). Every step is appended to
`<checkpoints_path>/metrics.jsonl` (step, loss, lr, tokens_per_s, ...), so the curve of a killed job survives.

Launched by Dagster Pipes, rank 0 streams one log line per step and ends with an asset materialization:
first/final loss, steps, tokens/s, lr, checkpoint path and the whole curve.
"""

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

# Fault injection for tests: the process dies abruptly after this step (as if killed).
CRASH_AFTER_STEP_ENV = "CODELAKE_TRAIN_CRASH_AFTER_STEP"
CRASH_EXIT_CODE = 86


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML written by training.nanotron_config.write_config")
    return parser.parse_args(argv)


def latest_step(checkpoints_path: Path) -> int:
    latest = checkpoints_path / "latest.txt"
    return int(latest.read_text().strip()) if latest.exists() else 0


def read_curve(metrics_path: Path) -> list[dict]:
    """The per-step records, the last one written for each step (a resumed job re-runs the steps after
    its checkpoint; those records replace the killed job's)."""
    by_step = {}
    if metrics_path.exists():
        for line in metrics_path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                by_step[record["step"]] = record
    return [by_step[s] for s in sorted(by_step)]


def summary(curve: list[dict], checkpoints_path: Path, train_steps: int, resumed_from: int) -> dict:
    this_run = [r for r in curve if r["step"] > resumed_from]
    # The first step of a process includes warm-up work (allocation, first checkpoint load): left out.
    speeds = [r["tokens_per_s"] for r in this_run[1:]] or [r["tokens_per_s"] for r in this_run]
    step = latest_step(checkpoints_path)
    return {
        "first_loss": curve[0]["loss"] if curve else None,
        "final_loss": curve[-1]["loss"] if curve else None,
        "steps": curve[-1]["step"] if curve else step,
        "train_steps": train_steps,
        "resumed_from_step": resumed_from,
        "tokens_per_s": statistics.median(speeds) if speeds else None,
        "final_lr": curve[-1]["lr"] if curve else None,
        "checkpoint_path": str(checkpoints_path / str(step)) if step else None,
        "curve": [{k: r[k] for k in ("step", "loss", "lr", "tokens_per_s")} for r in curve],
    }


def pipes_metadata(result: dict) -> dict:
    metadata = {k: v for k, v in result.items() if v is not None and k not in ("curve", "checkpoint_path")}
    metadata["curve"] = {"raw_value": result["curve"], "type": "json"}
    if result["checkpoint_path"]:
        metadata["checkpoint_path"] = {"raw_value": result["checkpoint_path"], "type": "path"}
    return metadata


def open_pipes(stack: ExitStack, rank: int):
    """Dagster Pipes on rank 0, only when Dagster launched this process."""
    if rank != 0:
        return None
    from dagster_pipes import PipesEnvVarParamsLoader, open_dagster_pipes

    if not PipesEnvVarParamsLoader().is_dagster_pipes_process():
        return None
    return stack.enter_context(open_dagster_pipes())


def train(config_path: Path, pipes) -> dict:
    from training import nanotron_cpu

    nanotron_cpu.apply()  # before anything imports nanotron
    nanotron_cpu.ensure_importable()  # on a GPU host with flash-attn, apply() leaves even this to us
    rank = nanotron_cpu.init_distributed()
    from training.nanotron_config import codelake_config_class, validate_config
    from training.nanotron_trainer import CodelakeTrainer

    config = validate_config(config_path)
    checkpoints_path = Path(config.checkpoints.checkpoints_path)
    metrics_path = checkpoints_path / "metrics.jsonl"
    train_steps = config.tokens.train_steps
    resumed_from = latest_step(checkpoints_path)
    if resumed_from >= train_steps:
        message = f"{checkpoints_path}: already trained to step {resumed_from} of {train_steps}; nothing to do"
        print(message, flush=True)
        if pipes:
            pipes.log.info(message)
        return {**summary(read_curve(metrics_path), checkpoints_path, train_steps, resumed_from), "loss_on": config.codelake.loss_on}

    crash_after = int(os.environ.get(CRASH_AFTER_STEP_ENV, "0"))

    def on_step(record: dict) -> None:
        # Called on rank 0 with the loss from the last pipeline stage.
        checkpoints_path.mkdir(parents=True, exist_ok=True)
        with metrics_path.open("a") as out:
            out.write(json.dumps(record) + "\n")
        if pipes:
            pipes.log.info(
                f"step {record['step']}/{train_steps} loss {record['loss']:.4f} lr {record['lr']:.3g} "
                f"tokens/s {record['tokens_per_s']:.0f}"
            )
        if record["step"] == crash_after:
            os._exit(CRASH_EXIT_CODE)  # fault injection: die like a killed job, no clean-up at all

    trainer = CodelakeTrainer(str(config_path), config_class=codelake_config_class(), on_step=on_step)
    trainer.train(trainer.datatrove_batches())
    if trainer.iteration_step % config.checkpoints.checkpoint_interval != 0:
        trainer.save_checkpoint()  # the last step is always kept
    trainer.parallel_context.destroy()
    if rank != 0:
        return {}
    return {**summary(read_curve(metrics_path), checkpoints_path, train_steps, resumed_from), **trainer.data_summary}


def main(argv=None) -> int:
    args = parse_args(argv)
    config_path = Path(args.config).resolve()
    rank = int(os.environ.get("RANK", "0"))
    started = time.time()
    with ExitStack() as stack:
        pipes = open_pipes(stack, rank)
        try:
            result = train(config_path, pipes)
        except Exception as err:
            print(f"training.train: rank {rank}: {config_path}: failed: {type(err).__name__}: {err}", file=sys.stderr,
                  flush=True)
            if pipes:
                pipes.log.error(f"training failed: {type(err).__name__}: {err}")
            raise
        if rank == 0:
            result["wall_s"] = round(time.time() - started, 2)
            print("training.train: result " + json.dumps({k: v for k, v in result.items() if k != "curve"}), flush=True)
            if pipes:
                pipes.report_asset_materialization(metadata=pipes_metadata(result))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException:  # the message is printed above; the traceback follows for the log
        import traceback

        traceback.print_exc()
        sys.exit(1)
