"""Near-duplicate clusters from LSH band keys, by joins in DuckDB (no process holds all signatures).

Files sharing a (band, key) bucket are linked to the bucket's smallest doc id (a star, so a bucket of
k files gives k-1 edges, not k²/2); connected components are found by min-label propagation, one
join per round, until no label changes. Each component keeps one survivor by the shared rule.
"""

from __future__ import annotations

import duckdb

from codelake.exact_dedup.survivors import SurvivorOrder


def build_clusters(con: duckdb.DuckDBPyConnection, docs_sql: str, bands_sql: str, order: SurvivorOrder, max_rounds: int = 100) -> int:
    """Create temp table `clustered(doc_id, survivor_id, cluster_size, rank)` for every file in a
    cluster of two or more. `docs_sql` yields the candidates' metadata (doc_id and the survivor
    order's columns); `bands_sql` yields (doc_id, band, key). Returns the propagation rounds used."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE docs AS {docs_sql}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE edges AS
            WITH bucketed AS (
                SELECT doc_id, min(doc_id) OVER (PARTITION BY band, key) AS root
                FROM ({bands_sql}) b SEMI JOIN docs USING (doc_id)
            )
            SELECT DISTINCT doc_id AS a, root AS b FROM bucketed WHERE doc_id <> root
            UNION SELECT DISTINCT root, doc_id FROM bucketed WHERE doc_id <> root"""
    )
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
    return rounds
