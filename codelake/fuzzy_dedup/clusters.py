"""Near-duplicate clusters from LSH band keys, by joins in DuckDB (no process holds all signatures).

Files sharing a (band, key) bucket become candidate pairs: every pair in a small bucket, a star to
the bucket's smallest doc id in a large one (k-1 edges instead of k²/2). With a verification
threshold, a candidate pair is kept only when the estimated Jaccard similarity of its two signatures
reaches it (LSH alone lets through pairs well below the threshold). Connected components are found by
min-label propagation, one join per round, until no label changes; each keeps one survivor.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from codelake.exact_dedup.survivors import SurvivorOrder


@dataclass(frozen=True)
class Verification:
    signatures_sql: str  # yields (doc_id, signature)
    threshold: float
    num_perm: int
    batch_pairs: int = 50_000


def signature_jaccard(a: list[bytes], b: list[bytes], num_perm: int) -> np.ndarray:
    """Estimated Jaccard similarity (fraction of equal slots) of pairs of stored signatures."""
    if not a:
        return np.zeros(0)
    width = len(a[0]) // num_perm
    left = np.frombuffer(b"".join(a), dtype=f"<u{width}").reshape(len(a), num_perm)
    right = np.frombuffer(b"".join(b), dtype=f"<u{width}").reshape(len(b), num_perm)
    return (left == right).mean(axis=1)


def _candidate_pairs(con: duckdb.DuckDBPyConnection, bands_sql: str, all_pairs_up_to: int) -> None:
    # Only buckets holding two or more files matter: group first (a hash aggregate), then join back the few
    # rows in shared buckets (a window over every (band, key) row sorts them all: ~10x slower).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE buckets AS
            WITH keyed AS (SELECT doc_id, band, key FROM ({bands_sql}) b SEMI JOIN docs USING (doc_id)),
                 shared AS (SELECT band, key, min(doc_id) AS root, count(*) AS size FROM keyed
                            GROUP BY band, key HAVING count(*) > 1)
            SELECT k.doc_id, k.band, k.key, s.root, s.size FROM keyed k JOIN shared s USING (band, key)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE pairs AS
            SELECT DISTINCT a, b FROM (
                SELECT x.doc_id AS a, y.doc_id AS b FROM buckets x JOIN buckets y USING (band, key)
                WHERE x.size <= {int(all_pairs_up_to)} AND x.doc_id < y.doc_id
                UNION ALL
                SELECT root, doc_id FROM buckets WHERE size > {int(all_pairs_up_to)} AND doc_id <> root
            )"""
    )


def _verify(con: duckdb.DuckDBPyConnection, check: Verification) -> None:
    reader = con.execute(
        f"""SELECT p.a, p.b, sa.signature AS sa, sb.signature AS sb FROM pairs p
            JOIN ({check.signatures_sql}) sa ON sa.doc_id = p.a
            JOIN ({check.signatures_sql}) sb ON sb.doc_id = p.b"""
    ).to_arrow_reader(check.batch_pairs)
    kept = []
    for batch in reader:
        similarity = signature_jaccard(batch.column("sa").to_pylist(), batch.column("sb").to_pylist(), check.num_perm)
        mask = pa.array(similarity >= check.threshold)
        kept.append(pa.RecordBatch.from_arrays([batch.column("a").filter(mask), batch.column("b").filter(mask)], names=["a", "b"]))
    verified = pa.Table.from_batches(kept, schema=pa.schema([("a", pa.string()), ("b", pa.string())]))
    con.register("verified_pairs", verified)
    con.execute("CREATE OR REPLACE TEMP TABLE pairs AS SELECT * FROM verified_pairs")
    con.unregister("verified_pairs")


def build_clusters(
    con: duckdb.DuckDBPyConnection,
    docs_sql: str,
    bands_sql: str,
    order: SurvivorOrder,
    verification: Verification | None = None,
    all_pairs_up_to: int = 32,
    max_rounds: int = 100,
) -> dict[str, int]:
    """Create temp table `clustered(doc_id, survivor_id, cluster_size, rank)` for every file in a
    cluster of two or more. `docs_sql` yields the candidates' metadata (doc_id and the survivor
    order's columns); `bands_sql` yields (doc_id, band, key). Returns counts for the metadata."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE docs AS {docs_sql}")
    _candidate_pairs(con, bands_sql, all_pairs_up_to)
    stats = {"candidate_pairs": con.execute("SELECT count(*) FROM pairs").fetchone()[0]}
    if verification is not None:
        _verify(con, verification)
    stats["verified_pairs"] = con.execute("SELECT count(*) FROM pairs").fetchone()[0]
    con.execute("CREATE OR REPLACE TEMP TABLE edges AS SELECT a, b FROM pairs UNION SELECT b, a FROM pairs")
    con.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT DISTINCT a AS doc_id, a AS label FROM edges")
    rounds = 0
    while True:
        rounds += 1
        con.execute(
            """CREATE OR REPLACE TEMP TABLE next_labels AS
               SELECT l.doc_id, least(l.label, min(n.label)) AS label
               FROM labels l JOIN edges e ON e.a = l.doc_id JOIN labels n ON n.doc_id = e.b
               GROUP BY l.doc_id, l.label"""
        )
        changed = con.execute(
            "SELECT count(*) FROM next_labels n JOIN labels l USING (doc_id) WHERE n.label <> l.label"
        ).fetchone()[0]
        con.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT * FROM next_labels")
        if changed == 0:
            break
        if rounds >= max_rounds:
            raise RuntimeError(f"near-duplicate components did not converge in {max_rounds} rounds")
    stats["propagation_rounds"] = rounds
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE clustered AS
            WITH ranked AS (
                SELECT d.*, l.label,
                       row_number() OVER (PARTITION BY l.label ORDER BY {order.sql()}) AS rank,
                       count(*) OVER (PARTITION BY l.label) AS cluster_size
                FROM docs d JOIN labels l USING (doc_id)
            )
            SELECT r.doc_id, s.doc_id AS survivor_id, r.cluster_size, r.rank
            FROM ranked r JOIN ranked s ON s.label = r.label AND s.rank = 1"""
    )
    return stats
