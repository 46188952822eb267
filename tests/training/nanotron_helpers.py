"""Shared by the Nanotron tests: a small tokenizer, `.ds` folders of learnable code written with
datatrove's own TokenizedFile, configs, subprocess runs of training.train, one trained checkpoint."""

import functools
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("add", "sub", "mul", "div", "neg", "inc", "dec", "abs")
OPS = {"add": "a + b", "sub": "a - b", "mul": "a * b", "div": "a / b", "neg": "-a", "inc": "a + 1", "dec": "a - 1",
       "abs": "a if a > 0 else -a"}


def code_documents(count: int, seed: int = 0) -> list[str]:
    """Tiny Python functions: a learnable pattern (the body follows from the name)."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        name = rng.choice(FUNCTIONS)
        docs.append(f"def {name}(a, b):\n    return {OPS[name]}\n")
    return docs


def train_tokenizer(path: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(code_documents(200), trainer=trainer)
    tokenizer.save(str(path))
    return path


def write_ds_folder(folder: Path, tokenizer_path: Path, documents: list[str], files: int = 2) -> Path:
    """Documents -> token ids + <|endoftext|>, in `files` .ds files, exactly as datatrove writes them."""
    from datatrove.pipeline.tokens.tokenizer import TokenizedFile
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    eos = tokenizer.token_to_id("<|endoftext|>")
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        out = TokenizedFile(str(folder), f"{index:05d}.ds", save_final_metadata=True, token_size=2,
                            tokenizer_name_or_path=str(tokenizer_path))
        for doc in documents[index::files]:
            out.write(tokenizer.encode(doc).ids + [eos], None)
        out.close()
    return folder


def run_train(config: Path, nproc: int = 1, timeout: int = 300, env_extra=None) -> subprocess.CompletedProcess:
    if nproc == 1:
        command = [sys.executable, "-m", "training.train", "--config", str(config)]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", "--master_port=0",
                   "-m", "training.train", "--config", str(config)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


def tiny_spec(tmp: Path, data: Path, tokenizer: Path, **overrides):
    from training.nanotron_config import TrainingSpec

    fields = dict(run_name="tiny-test", preset="tiny", data_folders=[str(data)], checkpoints_path=str(tmp / "ckpt"),
                  tokenizer_path=str(tokenizer), seq_len=64, micro_batch=4, grad_accum=1, steps=30,
                  learning_rate=3e-3, min_lr=3e-4, warmup_steps=3, decay_steps=10, checkpoint_interval=10)
    fields.update(overrides)
    return TrainingSpec(**fields)


@functools.lru_cache(maxsize=None)
def fixture_data() -> tuple[Path, Path]:
    """(tokenizer.json, .ds folder), built once per test session."""
    root = Path(tempfile.mkdtemp(prefix="nanotron-data-", dir=os.environ.get("HOME")))
    tokenizer = train_tokenizer(root / "tokenizer.json")
    data = write_ds_folder(root / "shards", tokenizer, code_documents(1500, seed=1))
    return tokenizer, data


# SFT chats whose prompt side is one long fixed text (easy to predict once seen) and whose answers are
# the code functions: a loss on every token and a loss on the answers only tell apart.
SYSTEM_PROMPT = "You are a coding assistant. Answer with one Python function and nothing else, please."


def chat_records(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        name = rng.choice(FUNCTIONS)
        records.append({"messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Write {name}."},
            {"role": "assistant", "content": f"def {name}(a, b):\n    return {OPS[name]}"},
        ]})
    return records


@functools.lru_cache(maxsize=None)
def sft_fixture() -> tuple[Path, Path]:
    """(tokenizer.json with the chat tokens, SFT shard folder with .ds.loss_mask files), built once."""
    import json

    from training.chat import pack_chat
    from training.tokenizer import TokenizerRules, train_bpe

    root = Path(tempfile.mkdtemp(prefix="nanotron-sft-", dir=os.environ.get("HOME")))
    texts = [SYSTEM_PROMPT + " " + r["messages"][2]["content"] for r in chat_records(100)]
    tokenizer = train_bpe(texts * 3, 400, TokenizerRules.load().special_tokens)
    tokenizer.save(str(root / "tokenizer.json"))
    chats = root / "chats.jsonl"
    chats.write_text("".join(json.dumps(r) + "\n" for r in chat_records(600, seed=1)))
    pack_chat([chats], root / "tokenizer.json", root / "shards", max_tokens=4096)
    return root / "tokenizer.json", root / "shards"


@functools.lru_cache(maxsize=None)
def trained_tiny_run() -> Path:
    """A checkpoints folder of the tiny preset trained 30 steps (the generation tests read it)."""
    from training.nanotron_config import write_config

    tokenizer, data = fixture_data()
    root = Path(tempfile.mkdtemp(prefix="nanotron-run-", dir=os.environ.get("HOME")))
    config = write_config(tiny_spec(root, data, tokenizer), root / "config.yaml")
    result = run_train(config)
    assert result.returncode == 0, result.stderr[-4000:]
    return root / "ckpt"
