"""Shard-building benchmark: what FIM, repository samples, packing and writing `.ds` files cost on top of
tokenizing.

    python -m bench.tokenize [--files 3000] [--scales 1 4] [--repeats 3]

Corpus: real source files of this machine (the standard library and site-packages' `.py` files), put
into a temporary lake as a `code_corpus` table; a tokenizer is trained on it first (not timed).

* baseline -- plain HF `tokenizers`: the same texts, read from the same lake table in the same batches,
  encoded with `encode_batch_fast` and with `encode_batch`; the faster of the two is the baseline.
* codelake -- `run_pretrain_shards` with a code-only mixture read once (FIM at 0.5, repository-level at
  0.1), ending with the `.ds` files and the shard table committed to the lake.

Both are timed alternately in this process, `--repeats` times; the medians count. The ratio
codelake/baseline (tokens per second) is the figure: the target is >= 0.8 (packing nearly free).
Memory: the shard build runs in a subprocess at scale 1 and at scale N (the corpus repeated N times
under new doc ids); peak RSS must stay flat (ratio below 1.3). Results go to bench/results/tokenize-*.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.code_lake import build_lake, corpus_files
from bench.ingest import RESULTS_DIR, run_measured
from codelake.lake import Lake
from codelake.pretrain_shards import MixtureSpec, run_pretrain_shards
from training.tokenizer import TokenizerRules, train_bpe

MIXTURE = {
    "seed": 1, "max_repeat": 1.0, "total_tokens": None, "max_tokens_per_document": 32768, "min_chars": 1, "shard_tokens": 50_000_000,
    "shares": {"code": {"weight": 1.0, "sources": [{"table": "code_corpus"}]}},
    "fim": {"rate": 0.5, "spm_rate": 0.5, "shares": ["code"]},
    "repo_level": {"rate": 0.1, "max_files": 64, "shares": ["code"]},
}
BATCH = 512


def plain_encode(lake: Lake, tokenizer_path: Path, fast: bool = True) -> tuple[float, int]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    encode = tokenizer.encode_batch_fast if fast else tokenizer.encode_batch
    started = time.perf_counter()
    tokens = 0
    for batch in lake.dataset("code_corpus").to_batches(columns=["text"], batch_size=BATCH):
        tokens += sum(len(e.ids) for e in encode(batch.column("text").to_pylist(), add_special_tokens=False))
    return time.perf_counter() - started, tokens


def build_shards(lake: Lake, tokenizer_path: Path, home: Path) -> tuple[float, int]:
    mixture_path = home / "mixture.yaml"
    mixture_path.write_text(json.dumps(MIXTURE))
    started = time.perf_counter()
    report = run_pretrain_shards(lake, tokenizer_path, home / "shards", MixtureSpec.load(mixture_path), home, batch_docs=BATCH)
    return time.perf_counter() - started, report.tables["shards"][0]["tokens"]


def train_tokenizer(lake: Lake, path: Path) -> Path:
    texts = (t[:20000] for b in lake.dataset("code_corpus").to_batches(columns=["text"]) for t in b.column("text").to_pylist())
    tokenizer = train_bpe(texts, 8192, TokenizerRules.load().special_tokens)
    tokenizer.save(str(path))
    return path


def memory_run(args: argparse.Namespace) -> int:
    """Subprocess entry: build the shards once at --scale and print the tokens."""
    with tempfile.TemporaryDirectory() as tmp:
        lake, _ = build_lake(Path(tmp), corpus_files(args.files), args.scale)
        tokenizer = Path(args.tokenizer)
        seconds, tokens = build_shards(lake, tokenizer, Path(tmp))
        print(json.dumps({"seconds": seconds, "tokens": tokens}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale:
        return memory_run(args)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        files = corpus_files(args.files)
        lake, _ = build_lake(home, files, 1)
        tokenizer = train_tokenizer(lake, home / "tokenizer.json")
        mb = sum(f.stat().st_size for f in files) / 1e6
        plain, slow, shards = [], [], []
        for _ in range(args.repeats):
            plain.append(plain_encode(lake, tokenizer))
            shards.append(build_shards(lake, tokenizer, home))
            slow.append(plain_encode(lake, tokenizer, fast=False))
        fast_tps = statistics.median(t / s for s, t in plain)
        batch_tps = statistics.median(t / s for s, t in slow)
        plain_tps = max(fast_tps, batch_tps)
        shard_tps = statistics.median(t / s for s, t in shards)
        memory = {}
        for scale in args.scales:
            cmd = [sys.executable, "-m", "bench.tokenize", "--scale", str(scale), "--files", str(args.files), "--tokenizer", str(tokenizer)]
            measured = run_measured(cmd)
            memory[scale] = {"peak_rss_mb": round(measured.peak_rss / 1e6, 1), **json.loads(measured.stdout.strip().splitlines()[-1])}
    ratio = shard_tps / plain_tps
    scales = sorted(memory)
    memory_ratio = memory[scales[-1]]["peak_rss_mb"] / memory[scales[0]]["peak_rss_mb"] if len(scales) > 1 else None
    print(f"corpus: {len(files)} files, {mb:.1f} MB, {plain[0][1]:,} tokens (plain), {shards[0][1]:,} tokens in shards (special tokens included)")
    print(f"plain tokenizers: encode_batch_fast {fast_tps:,.0f} tokens/s, encode_batch {batch_tps:,.0f} tokens/s (baseline: the faster)")
    print(f"codelake shards (FIM + packing + .ds + table): {shard_tps:,.0f} tokens/s")
    print(f"ratio codelake / plain: {ratio:.2f}  (target >= 0.8: {'met' if ratio >= 0.8 else 'NOT met'})")
    for scale in scales:
        print(f"scale {scale}: peak RSS {memory[scale]['peak_rss_mb']:.0f} MB, {memory[scale]['tokens']:,} tokens in {memory[scale]['seconds']:.1f} s")
    if memory_ratio is not None:
        print(f"memory ratio scale {scales[-1]} / scale {scales[0]}: {memory_ratio:.2f}  (target < 1.3: {'met' if memory_ratio < 1.3 else 'NOT met'})")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"tokenize-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({"files": len(files), "mb": mb, "plain_tokens_per_s": plain_tps, "encode_batch_fast_tokens_per_s": fast_tps, "encode_batch_tokens_per_s": batch_tps, "shard_tokens_per_s": shard_tps, "ratio": ratio,
                               "memory": memory, "memory_ratio": memory_ratio}, indent=2))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
