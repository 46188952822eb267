"""fuzzy_dedup over the whole lake: near-duplicate files (MinHash + LSH) keep one survivor per cluster.

Runs after exact_dedup, over its survivors from every dump so far. Signatures are computed once per
file and kept in the lake (`fuzzy_signatures`), so a new dump costs only its own files' hashing;
clusters and survivors are then re-decided over all files by joins. As in exact_dedup, a new dump
holding a better copy (more stars, then newer commit, then repo/path/dump) takes over its cluster: the
copy kept before is dropped in the new version, and its lineage row names the new survivor and their
estimated Jaccard similarity.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa

from codelake.exact_dedup.survivors import SurvivorOrder
from codelake.fuzzy_dedup.clusters import Verification, build_clusters, signature_jaccard
from codelake.fuzzy_dedup.config import FuzzyParams, load_preset
from codelake.fuzzy_dedup.oph_kernel import load_kernel_in_background
from codelake.fuzzy_dedup.signatures import SIGNATURES_TABLE, add_missing_signatures
from codelake.lake import Lake, LineageSpool
from codelake.lake.changed_rows import commit_changed_rows
from codelake.lake.sql import ConnectionFactory, connect
from codelake.report import StageReport
from codelake.schemas import DOC_METADATA_COLUMNS, DOC_METADATA_FIELDS

STAGE = "fuzzy_dedup"
UPSTREAM = "exact_dedup"

FUZZY_DEDUP_SCHEMA = pa.schema(
    DOC_METADATA_FIELDS + [pa.field("cluster_size", pa.int64())]  # files in its near-duplicate cluster (1: unique)
)

_DOC_COLUMNS = ", ".join(DOC_METADATA_COLUMNS)


def run_fuzzy_dedup(
    lake: Lake,
    params: FuzzyParams | None = None,
    order: SurvivorOrder | None = None,
    workers: int = 2,
    batch_docs: int = 1000,
    progress: Callable[[int], None] | None = None,
    connections: ConnectionFactory | None = None,
) -> StageReport:
    params = params or load_preset()
    order = order or SurvivorOrder.load()
    if not lake.exists(UPSTREAM):
        raise FileNotFoundError(f"{lake.table_path(UPSTREAM)}: no exact_dedup table yet; run exact_dedup first")
    report = StageReport(STAGE)
    fp = params.fingerprint()
    lineage = LineageSpool(STAGE)
    if params.method == "oph":  # overlaps with opening the lake and the first read; the first batch waits for it
        load_kernel_in_background()
    con = connect(lake, connections=connections)  # signatures are read and clusters joined on it
    try:
        report.tables["signatures_added"] = [{"files": add_missing_signatures(lake, con, params, workers, batch_docs, progress)}]
        signed = f"FROM {SIGNATURES_TABLE} WHERE params = '{fp}' AND has_shingles"
        verification = None
        if params.verify_threshold is not None:
            verification = Verification(f"SELECT doc_id, signature {signed}", params.verify_threshold, params.num_perm)
        cluster_stats = build_clusters(
            con,
            f"SELECT {_DOC_COLUMNS} FROM {UPSTREAM}",
            f"SELECT doc_id, generate_subscripts(band_keys, 1) AS band, unnest(band_keys) AS key {signed}",
            order,
            verification,
        )
        removed = con.execute(
            f"""SELECT c.doc_id, c.survivor_id, c.cluster_size, d.dump, d.repo, d.path, d.language, d.size,
                       s.repo AS survivor_repo, s.path AS survivor_path, s.dump AS survivor_dump,
                       sd.signature AS sig, ss.signature AS survivor_sig
                FROM clustered c
                JOIN docs d USING (doc_id)
                JOIN docs s ON s.doc_id = c.survivor_id
                JOIN {SIGNATURES_TABLE} sd ON sd.doc_id = c.doc_id AND sd.params = $fp
                JOIN {SIGNATURES_TABLE} ss ON ss.doc_id = c.survivor_id AND ss.params = $fp
                WHERE c.rank > 1 ORDER BY c.doc_id""",
            {"fp": fp},
        ).to_arrow_reader(batch_docs)
        samples: list[dict] = []
        for batch in removed:
            rows = batch.to_pylist()
            similarity = signature_jaccard([r["sig"] for r in rows], [r["survivor_sig"] for r in rows], params.num_perm)
            for row, jaccard in zip(rows, similarity):
                detail = {
                    "survivor": row["survivor_id"],
                    "survivor_repo": row["survivor_repo"],
                    "survivor_path": row["survivor_path"],
                    "survivor_dump": row["survivor_dump"],
                    "jaccard": round(float(jaccard), 4),
                    "cluster_size": row["cluster_size"],
                    "preset": params.preset,
                }
                lineage.record(row["doc_id"], "drop", "near_duplicate", json.dumps(detail), row["dump"], row["repo"], row["path"])
                report.dropped("near_duplicate", row["size"])
                if len(samples) < 20:
                    samples.append({"removed": f"{row['repo']}/{row['path']}", "survivor": f"{row['survivor_repo']}/{row['survivor_path']}", "jaccard": round(float(jaccard), 3)})
        kept = con.execute(
            f"""SELECT {', '.join('d.' + c for c in _DOC_COLUMNS.split(', '))}, coalesce(c.cluster_size, 1) AS cluster_size
                FROM docs d LEFT JOIN clustered c USING (doc_id)
                WHERE coalesce(c.rank, 1) = 1 ORDER BY d.dump, d.doc_id"""
        ).to_arrow_reader(batch_docs * 10)

        def kept_batches():
            for batch in kept:
                batch = batch.cast(FUZZY_DEDUP_SCHEMA)
                report.kept_rows(batch)
                yield batch

        report.version, report.lineage_version, increment = commit_changed_rows(lake, lineage, kept_batches(), FUZZY_DEDUP_SCHEMA)
        report.tables["increment"] = [increment]
        report.tables["cluster_sizes"] = [
            {"cluster_size": size, "clusters": n}
            for size, n in con.execute(
                "SELECT cluster_size, count(*) FROM clustered WHERE rank = 1 GROUP BY 1 ORDER BY 1"
            ).fetchall()
        ]
        report.tables["removed_per_language"] = [
            {"language": lang, "files": n}
            for lang, n in con.execute(
                "SELECT d.language, count(*) FROM clustered c JOIN docs d USING (doc_id) WHERE c.rank > 1 GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        ]
        report.tables["removed_sample"] = samples
        report.tables["parameters"] = [
            {"preset": params.preset, "num_perm": params.num_perm, "bands": params.bands, "rows": params.rows,
             "ngram": params.ngram, "method": params.method, "verify_threshold": params.verify_threshold, **cluster_stats}
        ]
    finally:
        lineage.discard()
        con.close()
    return report
