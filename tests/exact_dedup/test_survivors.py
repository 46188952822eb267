"""Exact dedup keeps one survivor per content across every dump, by stars, then newest commit."""

from __future__ import annotations

import json
import random

import pytest

from codelake.exact_dedup import SurvivorOrder, run_exact_dedup
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from codelake.rules import RuleFileError
from dumpfactory import MANIFEST, manifest, write_dir_dump

SAME = b"def same():\n    return 'identical in every repo'\n"


def repo(name: str, stars: int, when: str, files: dict[str, bytes]) -> dict[str, bytes]:
    return {MANIFEST: manifest(name, stars=stars, last_commit=when), **files}


def survivors(lake: Lake) -> dict[str, tuple[str, str, str]]:
    """sha256 -> (dump, repo, path) of the kept copy."""
    return {r["sha256"]: (r["dump"], r["repo"], r["path"]) for r in lake.dataset("exact_dedup").to_table().to_pylist()}


def dropped(lake: Lake) -> dict[tuple[str, str], dict]:
    con = connect(lake)
    rows = con.execute("SELECT repo, path, detail FROM lineage WHERE stage = 'exact_dedup'").fetchall()
    return {(r, p): json.loads(d) for r, p, d in rows}


def test_most_stars_wins_then_newest_commit_then_order(tmp_path):
    lake = Lake(tmp_path / "lake")
    dump = write_dir_dump(
        tmp_path / "dump-1",
        {
            "a": repo("o/low", 5, "2024-09-01T00:00:00Z", {"x.py": SAME}),
            "b": repo("o/high", 500, "2020-01-01T00:00:00Z", {"y.py": SAME}),
            "c": repo("o/tie-old", 7, "2021-01-01T00:00:00Z", {"t.py": b"tie = 1\n"}),
            "d": repo("o/tie-new", 7, "2023-01-01T00:00:00Z", {"t.py": b"tie = 1\n"}),
            "e": repo("o/exact-b", 1, "2022-01-01T00:00:00Z", {"z.py": b"z = 0\n"}),
            "f": repo("o/exact-a", 1, "2022-01-01T00:00:00Z", {"z.py": b"z = 0\n"}),
        },
    )
    run_raw_files(lake, dump)
    report = run_exact_dedup(lake)
    kept = {v[1] for v in survivors(lake).values()}
    assert kept == {"o/high", "o/tie-new", "o/exact-a"}
    gone = dropped(lake)
    assert gone[("o/low", "x.py")]["survivor_repo"] == "o/high"
    assert gone[("o/tie-old", "t.py")]["survivor_repo"] == "o/tie-new"
    assert gone[("o/exact-b", "z.py")]["survivor_repo"] == "o/exact-a"
    assert report.rows_in == 6 and report.rows_kept == 3 and report.drops_by_reason["exact_duplicate"] == 3


def test_rule_holds_across_dumps_and_a_later_better_copy_takes_over(tmp_path):
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-1", {"a": repo("o/first", 10, "2024-01-01T00:00:00Z", {"s.py": SAME})}))
    run_exact_dedup(lake)
    assert list(survivors(lake).values()) == [("dump-1", "o/first", "s.py")]
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-2", {"b": repo("o/better", 99, "2023-01-01T00:00:00Z", {"s.py": SAME})}))
    run_exact_dedup(lake)
    assert list(survivors(lake).values()) == [("dump-2", "o/better", "s.py")]
    assert dropped(lake)[("o/first", "s.py")]["survivor_dump"] == "dump-2"
    # the decision before dump-2 arrived is still readable by time travel
    assert [r["repo"] for r in lake.dataset("exact_dedup", version=0).to_table().to_pylist()] == ["o/first"]


def test_survivor_does_not_depend_on_arrival_order(tmp_path):
    repos = [repo(f"o/r{i}", random.Random(i).randint(0, 3), f"202{i % 3}-01-01T00:00:00Z", {"f.py": SAME}) for i in range(8)]
    results = []
    for trial, order in enumerate([list(range(8)), list(reversed(range(8))), [3, 1, 7, 0, 5, 2, 6, 4]]):
        lake = Lake(tmp_path / f"lake{trial}")
        for i in order:
            run_raw_files(lake, write_dir_dump(tmp_path / f"t{trial}" / f"dump-{i}", {f"r{i}": repos[i]}))
        run_exact_dedup(lake)
        results.append(survivors(lake))
    assert results[0] == results[1] == results[2]
    # and it equals the rule computed in Python
    rows = [{"stars": random.Random(i).randint(0, 3), "commit_time": f"202{i % 3}", "repo": f"o/r{i}", "path": "f.py", "dump": f"dump-{i}"} for i in range(8)]
    best = min(rows, key=SurvivorOrder.load().sort_key)
    assert list(results[0].values())[0][1] == best["repo"]


def test_survivor_rule_file_is_validated(tmp_path):
    bad = tmp_path / "order.yaml"
    bad.write_text("survivor_order:\n  - {column: stars, descending: true}\n")
    with pytest.raises(RuleFileError, match="unique key"):
        SurvivorOrder.load(bad)
    bad.write_text("survivor_order:\n  - {column: bogus, descending: true}\n")
    with pytest.raises(RuleFileError, match=str(bad)):
        SurvivorOrder.load(bad)
