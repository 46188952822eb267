"""tokenizer: train byte-level BPE on a sample of the pretraining mixture (or adopt a given tokenizer.json),
store it in the lake (table `tokenizer`: one row per version, with its hash and JSON) and as a file the
training jobs read."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from codelake.lake import Lake
from codelake.pretrain_shards.mixture import MixtureSpec
from codelake.pretrain_shards.plan import resolve_sources
from training.fim import unit_draw
from training.tokenizer import TokenizerRules, load_tokenizer, tokenizer_hash, tokenizer_json, train_bpe

TOKENIZER_TABLE = "tokenizer"
TOKENIZER_SCHEMA = pa.schema(
    [("sha256", pa.string()), ("vocab_size", pa.int64()), ("special_tokens", pa.string()), ("origin", pa.string()),
     ("sample", pa.string()), ("path", pa.string()), ("tokenizer_json", pa.large_string())]
)


@dataclass
class TokenizerResult:
    sha256: str
    path: Path
    vocab_size: int
    origin: str  # "trained" or the adopted file's path
    sample_docs: Counter
    added_special_tokens: list[str]
    version: int


def _sample_texts(lake: Lake, mixture: MixtureSpec, rules: TokenizerRules, home: Path, counts: Counter) -> Iterator[str]:
    """Up to `max_documents` texts, split over the shares by weight, drawn by doc id (deterministic)."""
    found, _ = resolve_sources(mixture, lake, home)
    weights = {s.name: s.weight for s in mixture.shares if found.get(s.name)}
    total_weight = sum(weights.values())
    for share, sources in found.items():
        if not sources:
            continue
        quota = rules.max_documents * weights[share] / total_weight
        rows = sum(s.rows for s in sources)
        keep = min(1.0, quota / rows)
        for source in sources:
            for batch in source.batches(lake):
                for doc, text in zip(batch.column("doc_id").to_pylist(), batch.column("text").to_pylist()):
                    if text and unit_draw(rules.sample_seed, doc) < keep:
                        counts[share] += 1
                        yield text[: rules.max_bytes_per_document]


def run_tokenizer(lake: Lake, rules: TokenizerRules, mixture: MixtureSpec, home: Path, out_root: Path, path: str | None = None) -> TokenizerResult:
    counts: Counter = Counter()
    given = path or rules.path
    if given:
        tokenizer, added = load_tokenizer(given, rules.special_tokens)
        origin = str(given)
    else:
        tokenizer = train_bpe(_sample_texts(lake, mixture, rules, home, counts), rules.vocab_size, rules.special_tokens, rules.min_frequency)
        added, origin = [], "trained"
        if not counts:
            raise ValueError(f"{mixture.path}: the mixture's sources hold no text to train a tokenizer on")
    digest = tokenizer_hash(tokenizer)
    folder = out_root / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "tokenizer.json"
    staging = folder / ".tokenizer.json.tmp"
    staging.write_text(tokenizer_json(tokenizer), encoding="utf-8")
    os.replace(staging, target)  # atomic: a job never reads half a tokenizer
    row = {
        "sha256": digest,
        "vocab_size": tokenizer.get_vocab_size(),
        "special_tokens": json.dumps(list(rules.special_tokens)),
        "origin": origin,
        "sample": json.dumps(dict(counts)),
        "path": str(target),
        "tokenizer_json": tokenizer_json(tokenizer),
    }
    batch = pa.RecordBatch.from_pylist([row], schema=TOKENIZER_SCHEMA)
    version = lake.write(TOKENIZER_TABLE, [batch], TOKENIZER_SCHEMA)
    return TokenizerResult(digest, target, tokenizer.get_vocab_size(), origin, counts, added, version)


def current_tokenizer(lake: Lake, version: int | None = None) -> dict:
    """The tokenizer row of the lake (latest, or at `version`): its hash, vocabulary size and file."""
    if not lake.exists(TOKENIZER_TABLE):
        raise FileNotFoundError(f"{lake.table_path(TOKENIZER_TABLE)}: no tokenizer yet: materialize the `tokenizer` asset first")
    row = lake.dataset(TOKENIZER_TABLE, version).to_table().to_pylist()[0]
    path = Path(row["path"])
    if not path.exists():  # the lake row holds the whole JSON: restore the file a job reads
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(row["tokenizer_json"], encoding="utf-8")
    return {k: row[k] for k in ("sha256", "vocab_size", "path")}
