"""training.generate: its plain-torch forward equals Nanotron's on the same checkpoint, and greedy
decoding from a trained tiny checkpoint is deterministic and honours stop strings."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import nanotron_helpers as helpers  # noqa: E402

from training.generate import LlamaRunner, load_llama  # noqa: E402

NANOTRON_LOGITS = """
import json, sys, torch
from training import nanotron_cpu
nanotron_cpu.apply(); nanotron_cpu.init_distributed()
from nanotron.config import LlamaConfig
from nanotron.models import build_model
from nanotron.models.llama import LlamaForTraining
from nanotron.parallel import ParallelContext
from nanotron.serialize import load_weights
from nanotron.trainer import mark_tied_parameters
from training.generate import checkpoint_dir
ckpt = checkpoint_dir(sys.argv[1])
config = LlamaConfig(**json.loads((ckpt / "model_config.json").read_text()))
context = ParallelContext(tensor_parallel_size=1, pipeline_parallel_size=1, data_parallel_size=1)
model = build_model(model_builder=lambda: LlamaForTraining(config=config, parallel_context=context,
                    parallel_config=None), parallel_context=context, dtype=torch.float32)
mark_tied_parameters(model=model, parallel_context=context)
load_weights(model=model, parallel_context=context, root_folder=ckpt)
ids = torch.tensor([json.loads(sys.argv[2])])
with torch.no_grad():
    logits = model.model(input_ids=ids, input_mask=torch.ones_like(ids, dtype=torch.bool))[:, 0, :]
print(json.dumps(logits.tolist()))
"""


def test_plain_forward_matches_nanotrons_forward_and_the_kv_cache_matches_a_full_pass():
    import torch

    checkpoints = helpers.trained_tiny_run()
    ids = [5, 17, 42, 99, 3, 250, 7, 8, 9, 10, 11, 12, 13, 14]
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(NANOTRON_LOGITS), str(checkpoints), json.dumps(ids)],
                         cwd=helpers.ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    nanotron_logits = torch.tensor(json.loads(run.stdout.strip().splitlines()[-1]))

    runner = LlamaRunner(load_llama(checkpoints))
    full = runner.forward(ids)
    assert full.abs().max() > 1.0  # trained weights, not an empty model
    torch.testing.assert_close(full, nanotron_logits, atol=1e-4, rtol=1e-4)
    runner.reset()
    pieces = torch.cat([runner.forward(ids[:6]), runner.forward(ids[6:7]), runner.forward(ids[7:])])
    torch.testing.assert_close(pieces, full, atol=1e-4, rtol=1e-4)


def generate(checkpoints: Path, tmp_path: Path, name: str, *extra: str) -> list[dict]:
    tokenizer, _ = helpers.fixture_data()
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        json.dumps({"task_id": "t/0", "prompt": "def neg(a, b):\n    return"}) + "\n"
        + json.dumps({"task_id": "t/1", "prompt": "def mul(a, b):\n    return"}) + "\n"
    )
    out = tmp_path / f"{name}.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "training.generate", "--checkpoint", str(checkpoints), "--tokenizer", str(tokenizer),
         "--prompts", str(prompts), "--out", str(out), "--max-new-tokens", "12", *extra],
        cwd=helpers.ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_greedy_generation_is_deterministic_and_stops_at_stop_strings(tmp_path):
    from tokenizers import Tokenizer

    checkpoints = helpers.trained_tiny_run()
    tokenizer_path, _ = helpers.fixture_data()
    first = generate(checkpoints, tmp_path, "first")
    second = generate(checkpoints, tmp_path, "second")
    assert first == second
    assert [r["task_id"] for r in first] == ["t/0", "t/1"]
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    for record in first:
        assert record["stopped_by"] in ("eos", "max_new_tokens")
        assert record["completion"] == tokenizer.decode(record["completion_ids"], skip_special_tokens=False)
    # The trained model continues `return` with an expression of a and b (its training data's only kind).
    assert " a" in first[0]["completion"]

    stopped = generate(checkpoints, tmp_path, "stopped", "--stop", "\n")
    for full, cut in zip(first, stopped):
        if "\n" in full["completion"]:
            assert cut["stopped_by"] == "stop" and cut["completion"] == full["completion"].split("\n")[0]


def test_generate_refuses_a_prompt_file_without_prompts(tmp_path):
    checkpoints = helpers.trained_tiny_run()
    tokenizer, _ = helpers.fixture_data()
    prompts = tmp_path / "bad.jsonl"
    prompts.write_text(json.dumps({"task_id": "x"}) + "\n")
    run = subprocess.run(
        [sys.executable, "-m", "training.generate", "--checkpoint", str(checkpoints), "--tokenizer", str(tokenizer),
         "--prompts", str(prompts), "--out", str(tmp_path / "out.jsonl")],
        cwd=helpers.ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1 and f"{prompts}:1" in run.stderr and "prompt" in run.stderr
