"""Per-language resampling: Java and HTML down, everything else untouched, deterministic by seed."""

from __future__ import annotations

import pytest

from codelake.code_corpus import Mixture, run_code_corpus
from codelake.exact_dedup import run_exact_dedup
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from codelake.rules import RuleFileError
from dumpfactory import MANIFEST, manifest, write_dir_dump


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Lake:
    root = tmp_path_factory.mktemp("resample")
    files = {MANIFEST: manifest("o/mixed")}
    for i in range(400):
        files[f"src/C{i}.java"] = f"class C{i} {{ int v = {i}; }}\n".encode()
        files[f"web/p{i}.html"] = f"<p>page {i}</p>\n".encode()
        files[f"py/m{i}.py"] = f"value = {i}\n".encode()
    lake = Lake(root / "lake")
    run_raw_files(lake, write_dir_dump(root / "dump-1", {"mixed": files}))
    run_exact_dedup(lake)
    return lake


def kept_by_language(lake: Lake) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in lake.dataset("code_corpus").to_table(columns=["doc_id", "language"]).to_pylist():
        out.setdefault(row["language"], set()).add(row["doc_id"])
    return out


def test_rates_apply_per_language_and_drops_are_in_the_lineage(lake):
    report = run_code_corpus(lake, upstream="exact_dedup", mixture=Mixture(seed=1, default=1.0, rates={"Java": 0.5, "HTML": 0.1}))
    kept = kept_by_language(lake)
    assert len(kept["Python"]) == 400
    assert 160 <= len(kept["Java"]) <= 240  # binomial(400, 0.5): far inside 5 sigma
    assert 20 <= len(kept["HTML"]) <= 65
    reasons = connect(lake).execute("SELECT reason, count(*) FROM lineage WHERE stage = 'code_corpus' GROUP BY 1").fetchall()
    assert reasons == [("downsampled", 1200 - sum(len(v) for v in kept.values()))]
    table = {row["language"]: row for row in report.tables["language_distribution"]}
    assert table["Python"]["files_before"] == table["Python"]["files_after"] == 400
    assert table["HTML"]["share_after_%"] < table["HTML"]["share_before_%"] and table["Python"]["share_after_%"] > table["Python"]["share_before_%"]


def test_same_seed_same_sample_other_seed_other_sample(lake):
    mixture = Mixture(seed=7, default=1.0, rates={"Java": 0.5})
    run_code_corpus(lake, upstream="exact_dedup", mixture=mixture)
    first = kept_by_language(lake)["Java"]
    run_code_corpus(lake, upstream="exact_dedup", mixture=mixture)
    assert kept_by_language(lake)["Java"] == first
    run_code_corpus(lake, upstream="exact_dedup", mixture=Mixture(seed=8, default=1.0, rates={"Java": 0.5}))
    assert kept_by_language(lake)["Java"] != first


def test_mixture_file_is_validated(tmp_path):
    assert Mixture.load().rate("Java") < 0.5 and Mixture.load().rate("Python") == 1.0
    bad = tmp_path / "mixture.yaml"
    bad.write_text("seed: 1\nrates:\n  Java: 1.5\n")
    with pytest.raises(RuleFileError, match="rate of 'Java'"):
        Mixture.load(bad)
