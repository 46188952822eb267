"""A small lake for the training branch: a code_corpus table of real files (this interpreter's standard
library), text and math JSONL from real docstrings, and a tokenizer trained on them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.pretrain_shards import MixtureSpec
from codelake.tokenizer import run_tokenizer
from training.tokenizer import TokenizerRules

CODE_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()), ("language", pa.string()),
     ("size", pa.int64()), ("text", pa.large_string())]
)
STDLIB = Path(os.__file__).parent


def stdlib_rows(limit: int = 120) -> list[dict]:
    files = sorted(p for p in STDLIB.rglob("*.py") if "test" not in p.parts and p.stat().st_size < 60_000)[:limit]
    rows = []
    for i, f in enumerate(files):
        rel = str(f.relative_to(STDLIB))
        repo = f"python/{rel.split('/')[0] if '/' in rel else 'lib' + str(i % 7)}"
        text = f.read_text(encoding="utf-8", errors="replace")
        rows.append({"doc_id": doc_id("d1", repo, rel), "dump": "d1", "repo": repo, "path": rel, "language": "Python",
                     "size": len(text.encode()), "text": text})
    return rows


def write_mixture(path: Path, text_weight: float = 0.2, math_weight: float = 0.1, **overrides) -> MixtureSpec:
    spec = {
        "seed": 1, "max_repeat": 4.0, "total_tokens": None, "max_tokens_per_document": 4096, "min_chars": 1, "shard_tokens": 100_000,
        "shares": {
            "code": {"weight": round(1 - text_weight - math_weight, 6), "sources": [{"table": "code_corpus"}, {"table": "code_web_corpus", "optional": True}]},
            "text": {"weight": text_weight, "optional": True, "sources": [{"path": "corpora/text", "optional": True}]},
            "math": {"weight": math_weight, "optional": True, "sources": [{"path": "corpora/math", "optional": True}]},
        },
        "fim": {"rate": 0.5, "spm_rate": 0.5, "shares": ["code"]},
        "repo_level": {"rate": 0.3, "max_files": 4, "shares": ["code"]},
    }
    spec.update(overrides)
    path.write_text(json.dumps(spec))
    return MixtureSpec.load(path)


@pytest.fixture
def small_lake(tmp_path) -> tuple[Lake, Path]:
    home = tmp_path / "home"
    lake = Lake(home / "lake")
    lake.write("code_corpus", [pa.RecordBatch.from_pylist(stdlib_rows(), schema=CODE_SCHEMA)], CODE_SCHEMA, partition_by=["dump"])
    for share, lines in {"text": _docs_lines("text"), "math": _docs_lines("math")}.items():
        folder = home / "corpora" / share
        folder.mkdir(parents=True)
        (folder / f"{share}.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return lake, home


def _docs_lines(kind: str) -> list[dict]:
    """Docstrings of real modules: prose for `text`, the math modules' for `math`."""
    import cmath, fractions, math, statistics, decimal, json as js, textwrap, argparse, logging, pathlib  # noqa: E401

    modules = [math, cmath, statistics, fractions, decimal] if kind == "math" else [js, textwrap, argparse, logging, pathlib]
    lines = []
    for m in modules:
        for name in sorted(dir(m)):
            doc = getattr(getattr(m, name), "__doc__", None)
            if isinstance(doc, str) and len(doc) > 40:
                lines.append({"id": f"{m.__name__}.{name}", "text": doc})
    return lines


@pytest.fixture
def make_mixture():
    return write_mixture


@pytest.fixture
def trained_tokenizer(small_lake, tmp_path):
    lake, home = small_lake
    mixture = write_mixture(tmp_path / "mixture.yaml")
    rules = TokenizerRules(vocab_size=1024, min_frequency=2, special_tokens=TokenizerRules.load().special_tokens,
                           max_documents=500, max_bytes_per_document=20_000, sample_seed=3, path=None)
    return run_tokenizer(lake, rules, mixture, home, home / "training" / "tokenizer")
