"""`codelake export`: shards that HF datasets and datatrove read back, bounded files, the manifest's version."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from codelake.cli.main import main
from codelake.export import ExportError, export_table
from codelake.export.shards import ShardLimits, shard_slices
from codelake.lake import Lake
from corpusfactory import write_corpus

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # local files only; never ask the Hub


@pytest.fixture
def corpus(tmp_path) -> tuple[Lake, list[dict]]:
    lake = Lake(tmp_path / "lake")
    return lake, write_corpus(lake, first=40, second=30)


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["doc_id"]: r for r in rows}


def test_parquet_export_loads_back_in_hf_datasets_and_datatrove(corpus, tmp_path):
    from datasets import load_dataset
    from datatrove.pipeline.readers import ParquetReader

    lake, rows = corpus
    out = tmp_path / "export"
    assert main(["--lake", str(lake.root), "export", "code_corpus", "--to", str(out), "--format", "parquet", "--max-rows", "16"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["table"] == "code_corpus" and manifest["delta_version"] == 1 and manifest["rows"] == 70
    assert len(manifest["files"]) == 5 and all(f["rows"] <= 16 for f in manifest["files"])
    assert sorted(p.name for p in (out / "data").iterdir()) == [f"train-{i:05d}-of-00005.parquet" for i in range(5)]

    data = load_dataset("parquet", data_files=str(out / "data" / "*.parquet"), split="train")
    assert data.column_names == ["id", "text", "metadata"] and data.num_rows == 70
    expected = _by_id(rows)
    for record in data:
        row = expected[record["id"]]
        assert record["text"] == row["text"]
        assert record["metadata"]["path"] == row["path"] and record["metadata"]["stars"] == row["stars"]
        assert record["metadata"]["commit_time"] == row["commit_time"]
    assert set(data["id"]) == set(expected)
    # the folder alone: the Hub layout (data/train-*) names the split
    assert load_dataset(str(out), split="train").num_rows == 70

    documents = list(ParquetReader(str(out / "data"))())
    assert len(documents) == 70
    doc = documents[0]
    assert doc.text == expected[doc.id]["text"] and doc.metadata["repo"] == "python/cpython" and doc.metadata["dump"] in {"d1", "d2"}


def test_jsonl_export_files_stay_under_max_bytes_and_load_back(corpus, tmp_path):
    from datasets import load_dataset
    from datatrove.pipeline.readers import JsonlReader

    lake, rows = corpus
    out = tmp_path / "jsonl"
    budget = 60_000
    manifest = export_table(lake, "code_corpus", out, "jsonl", max_bytes=budget)
    sizes = [(out / f["path"]).stat().st_size for f in manifest["files"]]
    largest_row = max(len(json.dumps(r["text"]).encode()) for r in rows)
    assert len(sizes) > 3 and all(s <= max(budget, largest_row + 1000) for s in sizes)
    assert sizes == [f["file_bytes"] for f in manifest["files"]] == [f["row_bytes"] for f in manifest["files"]]

    data = load_dataset("json", data_files=str(out / "data" / "*.jsonl"), split="train")
    assert data.num_rows == 70 and set(data.column_names) == {"id", "text", "metadata"}
    expected = _by_id(rows)
    assert all(r["text"] == expected[r["id"]]["text"] and r["metadata"]["path"] == expected[r["id"]]["path"] for r in data)

    documents = list(JsonlReader(str(out / "data"))())
    assert sorted(d.id for d in documents) == sorted(expected)
    assert all(d.text == expected[d.id]["text"] and d.metadata["language"] == "Python" for d in documents)


def test_an_earlier_version_exports_as_it_was(corpus, tmp_path):
    lake, rows = corpus
    manifest = export_table(lake, "code_corpus", tmp_path / "v0", version=0)
    assert manifest["delta_version"] == 0 and manifest["rows"] == 40
    import pyarrow.parquet as pq

    ids = {i for f in manifest["files"] for i in pq.read_table(tmp_path / "v0" / f["path"], columns=["id"]).column("id").to_pylist()}
    assert ids == {r["doc_id"] for r in rows if r["dump"] == "d1"}


def test_an_export_never_lands_on_other_files(corpus, tmp_path):
    lake, _ = corpus
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_table(lake, "code_corpus", out)
    with pytest.raises(ExportError, match="not an export"):
        export_table(lake, "code_corpus", out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    # an earlier export is replaced with --overwrite, and only then
    fresh = tmp_path / "fresh"
    export_table(lake, "code_corpus", fresh, max_rows=10)
    with pytest.raises(ExportError, match="--overwrite"):
        export_table(lake, "code_corpus", fresh)
    manifest = export_table(lake, "code_corpus", fresh, max_rows=50, overwrite=True)
    assert len(manifest["files"]) == 2 and len(list((fresh / "data").iterdir())) == 2


def test_tables_without_documents_are_refused_with_the_reason(tmp_path, capsys):
    from codelake.exact_dedup import run_exact_dedup
    from codelake.raw_files import run_raw_files
    from dumpfactory import small_repos, write_dir_dump

    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-x", small_repos()))
    run_exact_dedup(lake)
    with pytest.raises(ExportError, match="no 'text' column"):
        export_table(lake, "exact_dedup", tmp_path / "out")
    assert main(["--lake", str(lake.root), "export", "nope", "--to", str(tmp_path / "out")]) == 2
    assert "no such table" in capsys.readouterr().err
    # raw_files holds text: it exports like any corpus table
    assert export_table(lake, "raw_files", tmp_path / "raw")["rows"] == lake.count("raw_files")


def test_shard_slices_keep_every_file_within_its_budget():
    rng = np.random.default_rng(7)
    limits = ShardLimits(max_rows=7, max_bytes=5_000)
    files: list[list[int]] = [[]]
    rows = nbytes = 0
    for _ in range(30):
        sizes = rng.integers(1, 2_000, size=int(rng.integers(1, 25)))
        sizes[rng.integers(0, len(sizes))] = 9_000 if rng.random() < 0.2 else 10  # now and then a row over budget
        for start, stop, close in shard_slices(sizes, rows, nbytes, limits):
            files[-1].extend(sizes[start:stop].tolist())
            rows, nbytes = len(files[-1]), sum(files[-1])
            if close:
                files.append([])
                rows = nbytes = 0
    files = [f for f in files if f]
    assert sum(len(f) for f in files) > 100
    for f in files:
        assert len(f) <= limits.max_rows
        assert sum(f) <= limits.max_bytes or len(f) == 1  # only a lone oversized row passes the byte budget
