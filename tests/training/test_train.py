"""training.train on CPU: the tiny preset learns from `.ds` shards, checkpoints, resumes after a crash,
runs data-parallel under torchrun, fails clearly, and reports through Dagster Pipes."""

import json
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import nanotron_helpers as helpers  # noqa: E402

from training.nanotron_config import write_config  # noqa: E402
from training.train import CRASH_AFTER_STEP_ENV, CRASH_EXIT_CODE, read_curve  # noqa: E402


def records(checkpoints: Path) -> list[dict]:
    return [json.loads(line) for line in (checkpoints / "metrics.jsonl").read_text().splitlines()]


def result_line(stdout: str) -> dict:
    line = next(line for line in stdout.splitlines() if line.startswith("training.train: result "))
    return json.loads(line.removeprefix("training.train: result "))


def test_tiny_preset_learns_checkpoints_and_resumes_after_a_crash(tmp_path):
    tokenizer, data = helpers.fixture_data()
    config = write_config(helpers.tiny_spec(tmp_path, data, tokenizer, steps=30), tmp_path / "config.yaml")
    checkpoints = tmp_path / "ckpt"

    crashed = helpers.run_train(config, env_extra={CRASH_AFTER_STEP_ENV: "15"})
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-3000:]
    assert (checkpoints / "latest.txt").read_text() == "10"  # step 15 died before the next checkpoint
    first_attempt = {r["step"]: r for r in records(checkpoints)}
    assert sorted(first_attempt) == list(range(1, 16))

    resumed = helpers.run_train(config)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "start_iteration_step: 10" in resumed.stdout + resumed.stderr
    second_attempt = [r for r in records(checkpoints)][15:]
    assert [r["step"] for r in second_attempt] == list(range(11, 31))  # the counter continues from 10
    # Same weights, optimizer, lr and data position: step 11 is re-computed exactly.
    assert abs(second_attempt[0]["loss"] - first_attempt[11]["loss"]) < 1e-4
    assert second_attempt[0]["lr"] == first_attempt[11]["lr"]

    curve = read_curve(checkpoints / "metrics.jsonl")
    assert [r["step"] for r in curve] == list(range(1, 31))
    assert curve[0]["lr"] == 0.0  # Nanotron's linear warm-up starts at 0
    assert curve[0]["loss"] > 5.0 and curve[-1]["loss"] < 0.5 * curve[0]["loss"]
    result = result_line(resumed.stdout)
    assert result["resumed_from_step"] == 10 and result["steps"] == 30
    assert result["checkpoint_path"] == str(checkpoints.resolve() / "30")
    for step in ("10", "20", "30"):
        assert (checkpoints / step / "model_config.json").exists()
    assert "codelake:" in (checkpoints / "30" / "config.yaml").read_text()  # the run's config travels along

    again = helpers.run_train(config)  # a finished job reports its result again and does nothing else
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert result_line(again.stdout)["final_loss"] == result["final_loss"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_data_parallel_two_processes_under_torchrun_match_one_process(tmp_path):
    # dp=2 x micro-batch 2 reads the same 4 samples per step as dp=1 x micro-batch 4: the same losses.
    tokenizer, data = helpers.fixture_data()
    one = write_config(helpers.tiny_spec(tmp_path / "one", data, tokenizer, steps=6, checkpoint_interval=6),
                       tmp_path / "one.yaml")
    two = write_config(helpers.tiny_spec(tmp_path / "two", data, tokenizer, steps=6, checkpoint_interval=6, dp=2,
                                         micro_batch=2), tmp_path / "two.yaml")
    assert helpers.run_train(one).returncode == 0
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}",
               "-m", "training.train", "--config", str(two)]
    run = subprocess.run(command, cwd=helpers.ROOT, capture_output=True, text=True, timeout=240,
                         env={**helpers.os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    losses_one = [r["loss"] for r in records(tmp_path / "one" / "ckpt")]
    losses_two = [r["loss"] for r in records(tmp_path / "two" / "ckpt")]
    assert len(losses_two) == 6
    assert max(abs(a - b) for a, b in zip(losses_one, losses_two)) < 1e-3
    assert (tmp_path / "two" / "ckpt" / "6" / "model_config.json").exists()


def test_a_failing_job_exits_non_zero_and_names_the_problem(tmp_path):
    tokenizer, data = helpers.fixture_data()
    moved = tmp_path / "shards"
    helpers.write_ds_folder(moved, tokenizer, helpers.code_documents(200))
    config = write_config(helpers.tiny_spec(tmp_path, moved, tokenizer, steps=5), tmp_path / "config.yaml")
    for path in moved.iterdir():
        path.unlink()
    moved.rmdir()
    failed = helpers.run_train(config)
    assert failed.returncode != 0
    assert f"{config}" in failed.stderr and "data folders do not exist" in failed.stderr


def test_pipes_launched_run_reports_the_loss_curve_as_metadata(tmp_path):
    from dagster import AssetExecutionContext, PipesSubprocessClient, asset, materialize

    tokenizer, data = helpers.fixture_data()
    config = write_config(helpers.tiny_spec(tmp_path, data, tokenizer, steps=8, checkpoint_interval=4),
                          tmp_path / "config.yaml")

    @asset
    def tiny_checkpoint(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
        return pipes_subprocess_client.run(
            command=[sys.executable, "-m", "training.train", "--config", str(config)],
            context=context,
            env={"OMP_NUM_THREADS": "1"},
        ).get_materialize_result()

    result = materialize(
        [tiny_checkpoint], resources={"pipes_subprocess_client": PipesSubprocessClient(cwd=str(helpers.ROOT))}
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("tiny_checkpoint")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    curve = metadata["curve"]
    assert [point["step"] for point in curve] == list(range(1, 9))
    assert set(curve[0]) == {"step", "loss", "lr", "tokens_per_s"}
    assert metadata["first_loss"] == curve[0]["loss"] and metadata["final_loss"] == curve[-1]["loss"]
    assert metadata["final_loss"] < metadata["first_loss"]
    assert metadata["steps"] == 8 and metadata["tokens_per_s"] > 0
    assert metadata["checkpoint_path"] == str((tmp_path / "ckpt" / "8").resolve())
