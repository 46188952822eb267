"""annealing_mixture: token shares planned by the shared mixture planner, one share per file, repeats with
doc ids of their own, renormalization recorded, a required empty share an error, readable as a mixture source."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from codelake.algorithmic_corpus import run_algorithmic_corpus
from codelake.annealing_mixture import AnnealingMixture, copy_id, run_annealing_mixture
from codelake.checks import conservation, duplicate_doc_ids
from codelake.pretrain_shards.mixture import SourceSpec
from codelake.pretrain_shards.sources import SourceError, resolve

SNIPPETS = pa.schema([("doc_id", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()),
                      ("language", pa.string()), ("text", pa.large_string())])


def _mixture(tmp_path: Path, *, textbooks_optional: bool = True, max_repeat: float = 4.0) -> AnnealingMixture:
    path = tmp_path / "mixture.yaml"
    path.write_text(json.dumps({
        "seed": 7, "max_repeat": max_repeat, "total_tokens": None, "tokens_per_byte": 0.25, "max_tokens_per_document": 100000,
        "min_chars": 1, "shard_tokens": 0, "fim": {"rate": 0}, "repo_level": {"rate": 0},
        "shares": {
            "refinecode": {"weight": 0.7, "without": ["algorithmic_corpus"], "sources": [{"table": "code_corpus"}]},
            "algorithmic": {"weight": 0.2, "sources": [{"table": "algorithmic_corpus"}]},
            "snippets": {"weight": 0.05, "optional": True, "sources": [{"table": "synthetic_snippets", "optional": True}]},
            "textbooks": {"weight": 0.05, "optional": textbooks_optional, "sources": [{"table": "code_textbooks", "optional": textbooks_optional}]},
        },
    }))
    return AnnealingMixture.load(path)


def _snippets(lake, n: int = 6) -> None:
    rows = [{"doc_id": f"s{i}", "dump": "synthetic", "repo": "r", "path": f"f{i}", "language": "Python",
             "text": f"def f{i}(x):\n    return x + {i}\n" * 3} for i in range(n)]
    lake.write("synthetic_snippets", [pa.RecordBatch.from_pylist(rows, schema=SNIPPETS)], SNIPPETS, partition_by=["dump"])


def test_shares_repeats_and_renormalization(lake, tmp_path):
    run_algorithmic_corpus(lake)
    _snippets(lake)
    run = run_annealing_mixture(lake, _mixture(tmp_path))
    table = lake.dataset("annealing_mixture").to_table().to_pylist()
    algorithmic_ids = set(lake.dataset("algorithmic_corpus").to_table(columns=["doc_id"]).column("doc_id").to_pylist())
    # an algorithmic file counts in the algorithmic share only
    assert not {r["source_doc_id"] for r in table if r["share"] == "refinecode"} & algorithmic_ids
    # textbooks are missing: their weight is spread over the others, and the notes say so
    assert any("code_textbooks" in n for n in run.notes) and any("renormalized" in n for n in run.notes)
    shares = {row["share"]: row for row in run.report.tables["shares"]}
    assert set(shares) == {"refinecode", "algorithmic", "snippets"}
    assert shares["algorithmic"]["target_%"] == pytest.approx(100 * 0.2 / 0.95, abs=0.01)
    for row in shares.values():  # sampled per document: close to the target, not exact
        assert abs(row["actual_%"] - row["target_%"]) < 12, row
    # the scarce shares are repeated; each copy has its own doc id and the original says where they went
    copies = [r for r in table if r["copy"] > 0]
    assert copies and all(r["doc_id"] == copy_id(r["source_doc_id"], r["copy"]) for r in copies)
    assert len({r["doc_id"] for r in table}) == len(table)
    repeated = [r for r in lake.dataset("lineage").to_table().to_pylist() if r["stage"] == "annealing_mixture" and r["reason"] == "repeated"]
    assert sum(json.loads(r["detail"])["copies"] - 1 for r in repeated) == len(copies) == run.extra_copies
    # conservation: every source row once, plus the extra copies = written + dropped
    sources_rows = lake.count("code_corpus") + lake.count("synthetic_snippets")
    assert run.rows_in == sources_rows + run.extra_copies
    assert conservation(lake, "annealing_mixture", run.report.version, run.rows_in).holds
    assert duplicate_doc_ids(lake, "annealing_mixture", run.report.version) == 0
    # annealing_shards reads it through the mixture sources (a `text` column)
    source = resolve(SourceSpec(table="annealing_mixture"), "code", lake, tmp_path)
    assert source is not None and source.rows == len(table)


def test_deterministic(lake, tmp_path):
    run_algorithmic_corpus(lake)
    first = run_annealing_mixture(lake, _mixture(tmp_path))
    ids = sorted(lake.dataset("annealing_mixture").to_table(columns=["doc_id"]).column("doc_id").to_pylist())
    second = run_annealing_mixture(lake, _mixture(tmp_path))
    assert sorted(lake.dataset("annealing_mixture").to_table(columns=["doc_id"]).column("doc_id").to_pylist()) == ids
    assert first.report.tables["shares"] == second.report.tables["shares"]


def test_required_empty_share_is_an_error_naming_it(lake, tmp_path):
    run_algorithmic_corpus(lake)
    with pytest.raises(SourceError, match=r"mixture\.yaml: share 'textbooks': source lake table 'code_textbooks' is missing or empty"):
        run_annealing_mixture(lake, _mixture(tmp_path, textbooks_optional=False))
    assert not lake.exists("annealing_mixture")


def test_shipped_mixture_is_opencoders_table():
    mixture = AnnealingMixture.load()
    weights = {s.name: s.weight for s in mixture.spec.shares}
    total = 84.21 + 12.44 + 2.71 + 0.91
    for name, tokens in {"refinecode": 84.21, "algorithmic": 12.44, "snippets": 2.71, "textbooks": 0.91}.items():
        assert weights[name] == pytest.approx(tokens / total, abs=1e-3)
    assert mixture.without["refinecode"] == ("algorithmic_corpus",)
