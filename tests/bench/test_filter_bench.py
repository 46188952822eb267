"""bench/filter.py: structure (no timing assertions) and reference-vs-vectorized agreement."""

import json
import math
import sys
from pathlib import Path

import polars as pl
import pytest

from bench.filter import collect, compare, main
from codelake.filtered import compute_signals, load_rules
from codelake.filtered.reference import reference_signals

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "filtered"))
from test_rule_families import DROPS, GOOD  # noqa: E402


@pytest.fixture(scope="module")
def corpus() -> pl.DataFrame:
    rows = [{"doc_id": f"good/{k}", "language": v[0], "text": v[1], "path": k, "size": len(v[1].encode())} for k, v in GOOD.items()]
    rows += [{"doc_id": f"drop{i}/{d[0]}", "language": d[1], "text": d[2], "path": d[0], "size": len(d[2].encode())} for i, d in enumerate(DROPS)]
    fixtures = pl.DataFrame(rows, schema={"doc_id": pl.String, "language": pl.String, "text": pl.String, "path": pl.String, "size": pl.Int64})
    return pl.concat([fixtures, collect(150, seed=1)])


def test_collect_returns_labelled_real_files():
    frame = collect(40)
    assert frame.height > 0
    assert frame.columns == ["doc_id", "language", "text", "path", "size"]
    assert frame["language"].null_count() == 0
    assert (frame["text"].str.len_bytes() == frame["size"]).all()


def test_reference_and_vectorized_signals_agree(corpus):
    table = compute_signals(corpus)
    assert table.height == corpus.height
    mismatches = []
    for row, vec in zip(corpus.iter_rows(named=True), table.iter_rows(named=True)):
        ref = reference_signals(row["doc_id"], row["language"], row["text"], row["path"], row["size"])
        assert vec["doc_id"] == ref["doc_id"] and vec["profile"] == ref["profile"]
        for name, value in ref.items():
            if name in ("doc_id", "profile"):
                continue
            other = vec[name]
            same = (value is None and other is None) or (
                value is not None and other is not None and math.isclose(float(value), float(other), rel_tol=1e-9, abs_tol=1e-12)
            )
            if not same:
                mismatches.append((row["doc_id"], name, value, other))
        for name, value in vec.items():  # vectorized has no signal the reference lacks for this profile
            if value is not None and name not in ("doc_id", "profile"):
                assert name in ref, (row["doc_id"], name)
    assert mismatches == []


def test_reference_and_vectorized_decisions_agree(corpus):
    result = compare(corpus, load_rules(), seed=5)
    assert result["disagreements"] == 0, result["disagreement_examples"]
    assert result["agreement"] == 1.0
    assert result["files"] == corpus.height
    for side in ("vectorized", "reference"):
        assert result[side]["mb_per_s"] > 0 and result[side]["files_per_s"] > 0
    assert result["speedup_mb_per_s"] > 0
    assert result["parallel"]["same_decisions"] is True  # the stage's multi-process path decides the same


def test_main_writes_a_result_file(tmp_path, capsys):
    assert main(["--files", "40", "--out", str(tmp_path)]) == 0
    written = list(tmp_path.glob("filter-*.json"))
    assert len(written) == 1
    data = json.loads(written[0].read_text())
    assert {"files", "mb", "vectorized", "reference", "speedup_mb_per_s", "agreement", "rules"} <= set(data)
    assert data["rules"]["total"] >= 130
