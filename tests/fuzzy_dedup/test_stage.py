"""fuzzy_dedup over the lake: clusters, survivors across dumps, lineage with survivor and Jaccard."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from codelake.exact_dedup import run_exact_dedup
from codelake.fuzzy_dedup import load_preset, run_fuzzy_dedup
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from codelake.rules import RuleFileError
from dumpfactory import MANIFEST, manifest, write_dir_dump

STDLIB = sorted(Path("/root/.pyenv/versions").glob("3.11*/lib/python3.11"))


def real_sources(count: int) -> list[bytes]:
    """Real, distinct Python files (the stdlib of this machine), or generated code when absent."""
    if STDLIB:
        files = [p for p in sorted(STDLIB[0].glob("*.py")) if 4_000 < p.stat().st_size < 40_000]
        return [p.read_bytes() for p in files[:count]]
    rng = random.Random(0)
    return [
        "\n".join(f"def f{i}_{j}(x):\n    return x * {rng.randint(0, 10**6)} + {rng.randint(0, 10**6)}" for j in range(60)).encode()
        for i in range(count)
    ]


def edit(data: bytes, rate: float, seed: int) -> bytes:
    """Replace about `rate` of the lines with new ones (a near duplicate of known distance)."""
    rng = random.Random(seed)
    lines = data.split(b"\n")
    return b"\n".join(b"# edited %d" % rng.randint(0, 10**9) if rng.random() < rate else line for line in lines)


def repo(name: str, stars: int, when: str, files: dict[str, bytes]) -> dict[str, bytes]:
    return {MANIFEST: manifest(name, stars=stars, last_commit=when), **files}


def lineage(lake: Lake) -> dict[tuple[str, str], dict]:
    rows = connect(lake).execute("SELECT repo, path, detail FROM lineage WHERE stage = 'fuzzy_dedup'").fetchall()
    return {(r, p): json.loads(d) for r, p, d in rows}


def ingest(lake: Lake, path: Path, repos: dict) -> None:
    run_raw_files(lake, write_dir_dump(path, repos))
    run_exact_dedup(lake)


@pytest.mark.parametrize("preset", ["refinecode", "datatrove", "jaccard-0.8"])
def test_near_duplicates_cluster_and_the_most_starred_copy_survives(tmp_path, preset):
    sources = real_sources(6)
    original, other = sources[0], sources[1:]
    lake = Lake(tmp_path / "lake")
    ingest(
        lake,
        tmp_path / "dump-1",
        {
            "orig": repo("o/original", 100, "2023-01-01T00:00:00Z", {"m.py": original}),
            "fork": repo("o/fork", 3, "2024-01-01T00:00:00Z", {"m.py": edit(original, 0.002, 1) + b"\n# fork\n"}),
            "misc": repo("o/misc", 50, "2024-01-01T00:00:00Z", {f"f{i}.py": data for i, data in enumerate(other)}),
        },
    )
    report = run_fuzzy_dedup(lake, load_preset(preset), workers=1)
    removed = lineage(lake)
    assert set(removed) == {("o/fork", "m.py")}, removed
    detail = removed[("o/fork", "m.py")]
    assert detail["survivor_repo"] == "o/original" and detail["cluster_size"] == 2 and detail["jaccard"] > 0.9
    assert report.rows_in == 7 and report.rows_kept == 6
    kept = {r["repo"]: r["cluster_size"] for r in lake.dataset("fuzzy_dedup").to_table().to_pylist() if r["path"] == "m.py"}
    assert kept == {"o/original": 2}


def test_incremental_dump_reuses_signatures_and_a_better_copy_takes_over(tmp_path):
    original = real_sources(1)[0]
    lake = Lake(tmp_path / "lake")
    ingest(lake, tmp_path / "dump-1", {"a": repo("o/first", 10, "2023-01-01T00:00:00Z", {"x.py": original})})
    first = run_fuzzy_dedup(lake, workers=1)
    assert first.tables["signatures_added"] == [{"files": 1}] and first.rows_kept == 1
    ingest(lake, tmp_path / "dump-2", {"b": repo("o/popular", 999, "2022-01-01T00:00:00Z", {"y.py": edit(original, 0.002, 7)})})
    second = run_fuzzy_dedup(lake, workers=1)
    assert second.tables["signatures_added"] == [{"files": 1}]  # only the new dump's file was hashed
    removed = lineage(lake)
    assert set(removed) == {("o/first", "x.py")} and removed[("o/first", "x.py")]["survivor_dump"] == "dump-2"
    assert [r["repo"] for r in lake.dataset("fuzzy_dedup").to_table().to_pylist()] == ["o/popular"]
    # the earlier decision stays readable
    assert [r["repo"] for r in lake.dataset("fuzzy_dedup", version=0).to_table().to_pylist()] == ["o/first"]


def test_chains_form_one_cluster_and_tiny_or_tokenless_files_stay(tmp_path):
    base = real_sources(1)[0]
    chain = [base]
    for step in range(3):
        chain.append(edit(chain[-1], 0.02, step + 11))
    assert len(set(chain)) == 4  # every step really changed the file
    files = {f"c{i}.py": data for i, data in enumerate(chain)}
    files.update({"blank.py": b"   \n\n  ", "tiny.py": b"x = 1"})
    lake = Lake(tmp_path / "lake")
    ingest(lake, tmp_path / "dump-1", {"r": repo("o/r", 1, "2023-01-01T00:00:00Z", files)})
    report = run_fuzzy_dedup(lake, load_preset("jaccard-0.8"), workers=2)
    removed = lineage(lake)
    assert {p for _, p in removed} == {"c1.py", "c2.py", "c3.py"}
    assert {d["survivor_path"] for d in removed.values()} == {"c0.py"}  # ties: path order
    assert report.rows_kept == 3


def test_unknown_preset_and_bad_parameters_are_clear_errors(tmp_path):
    with pytest.raises(RuleFileError, match="unknown preset 'nope'"):
        load_preset("nope")
    bad = tmp_path / "fuzzy.yaml"
    bad.write_text("default_preset: p\npresets:\n  p: {num_perm: 16, bands: 8, rows: 4, ngram: 5, seed: 1}\n")
    with pytest.raises(RuleFileError, match="exceeds num_perm"):
        load_preset(path=bad)


def test_a_cluster_spanning_three_dumps_keeps_the_best_copy_of_all(tmp_path):
    original = real_sources(2)[1]
    lake = Lake(tmp_path / "lake")
    copies = [("o/mid", 50, 1), ("o/top", 500, 2), ("o/low", 5, 3)]
    for i, (name, stars, seed) in enumerate(copies):
        ingest(lake, tmp_path / f"dump-{i}", {name.split("/")[1]: repo(name, stars, "2023-01-01T00:00:00Z", {"m.py": edit(original, 0.002, seed)})})
        run_fuzzy_dedup(lake, workers=1)
    removed = lineage(lake)
    assert set(removed) == {("o/mid", "m.py"), ("o/low", "m.py")}
    assert all(d["survivor_repo"] == "o/top" and d["survivor_dump"] == "dump-1" and d["cluster_size"] == 3 for d in removed.values())
    kept = lake.dataset("fuzzy_dedup").to_table().to_pylist()
    assert [(r["repo"], r["cluster_size"]) for r in kept] == [("o/top", 3)]
