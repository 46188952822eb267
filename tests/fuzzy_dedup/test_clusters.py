"""Candidate pairs, verification and components, on hand-made band keys and signatures."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa

from codelake.exact_dedup import SurvivorOrder
from codelake.fuzzy_dedup.clusters import Verification, build_clusters

NUM_PERM = 8


def setup(con, bands: list[tuple[str, int, int]], signatures: dict[str, list[int]], stars: dict[str, int]) -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    docs = pa.table(
        {
            "doc_id": list(stars),
            "dump": ["d"] * len(stars),
            "repo": [f"o/{d}" for d in stars],
            "path": ["f.py"] * len(stars),
            "stars": list(stars.values()),
            "commit_time": [when] * len(stars),
        }
    )
    con.register("docs_in", docs)
    con.register("bands_in", pa.table({"doc_id": [b[0] for b in bands], "band": [b[1] for b in bands], "key": [b[2] for b in bands]}))
    sigs = {d: np.array(v, dtype="<u4").tobytes() for d, v in signatures.items()}
    con.register("sigs_in", pa.table({"doc_id": list(sigs), "signature": list(sigs.values())}))


def clusters(con) -> dict[str, str]:
    return dict(con.execute("SELECT doc_id, survivor_id FROM clustered").fetchall())


def test_verification_unlinks_candidates_below_the_threshold():
    same = [1, 2, 3, 4, 5, 6, 7, 8]
    half = [1, 2, 3, 4, 50, 60, 70, 80]
    bands = [("a", 0, 7), ("b", 0, 7), ("c", 0, 7), ("a", 1, 9), ("b", 1, 9)]
    for verify, expected in ((None, {"a", "b", "c"}), (0.8, {"a", "b"})):
        con = duckdb.connect()
        setup(con, bands, {"a": same, "b": same, "c": half}, {"a": 5, "b": 9, "c": 1})
        check = None if verify is None else Verification("SELECT * FROM sigs_in", verify, NUM_PERM)
        stats = build_clusters(con, "SELECT * FROM docs_in", "SELECT * FROM bands_in", SurvivorOrder.load(), check)
        assert set(clusters(con)) == expected
        assert set(clusters(con).values()) == {"b"}  # most stars survives
        assert stats["candidate_pairs"] == 3 and stats["verified_pairs"] == (3 if verify is None else 1)


def test_large_buckets_link_as_a_star_and_chains_join_one_component():
    docs = [f"d{i:02d}" for i in range(40)]
    bands = [(d, 0, 1) for d in docs] + [("x", 1, 2), ("d39", 1, 2), ("y", 2, 3), ("x", 2, 3)]
    stars = {d: 1 for d in docs} | {"x": 1, "y": 100}
    con = duckdb.connect()
    setup(con, bands, {}, stars)
    stats = build_clusters(con, "SELECT * FROM docs_in", "SELECT * FROM bands_in", SurvivorOrder.load(), all_pairs_up_to=32)
    assert stats["candidate_pairs"] == 39 + 1 + 1  # star of 40, then two small buckets
    assert set(clusters(con).values()) == {"y"} and len(clusters(con)) == 42
