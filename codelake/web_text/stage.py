"""web_text over every web dump: the newest fetch of each URL, its main text, then exact and near
duplicates removed with the code branch's dedup engine.

1. URL duplicates across dumps: a URL kept by web_pages in several dumps keeps its newest fetch
   (`duplicate_url`; web_pages already resolved duplicates within a dump).
2. Extraction in worker processes (codelake.web_text.extract): main text with code kept, title,
   language; a page with no text even from the whole page drops as `no_text`. MinHash signatures of
   each batch are computed as it arrives (fuzzy_dedup's `signature_batch`).
3. Exact duplicates (`exact_dedup.survivors.rank_copies` over the text's SHA-256) and near duplicates
   (`fuzzy_dedup.clusters.build_clusters` with a preset of rules/fuzzy_dedup.yaml) keep one page each,
   ranked by rules/web_text.yaml; lineage details have the code branch's form (survivor, its domain
   as survivor_repo and URL as survivor_path, survivor_dump, jaccard).
Texts wait in a local Arrow spool until the duplicates are decided: web_pages is read once.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from codelake.exact_dedup.survivors import SurvivorOrder, rank_copies
from codelake.fuzzy_dedup.clusters import Verification, build_clusters, signature_jaccard
from codelake.fuzzy_dedup.config import load_preset
from codelake.fuzzy_dedup.oph_kernel import load_kernel_in_background
from codelake.fuzzy_dedup.signatures import SIGNATURES_SCHEMA, signature_batch, signature_rows
from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory, connect, delta_scan
from codelake.parallel import ordered_map
from codelake.report import StageReport
from codelake.web_pages.spool import PageSpool
from codelake.web_text.extract import extract_batch
from codelake.web_text.rules import WebTextRules
from codelake.web_text.schema import WEB_TEXT_SCHEMA

STAGE = "web_text"
UPSTREAM = "web_pages"
_NEWEST_FETCH = SurvivorOrder((("fetch_time", True), ("dump", False)))
_KEYS = ["doc_id", "dump", "url", "domain", "fetch_time", "size", "sha256"]


def _survivor_detail(row: dict, **extra) -> str:
    return json.dumps({"survivor": row["survivor_id"], "survivor_repo": row["survivor_repo"], "survivor_path": row["survivor_path"],
                       "survivor_dump": row["survivor_dump"], **extra}, default=str)


def run_web_text(
    lake: Lake,
    rules: WebTextRules | None = None,
    workers: int = 2,
    upstream_version: int | None = None,
    connections: ConnectionFactory | None = None,
    progress: Callable[[int], None] | None = None,
) -> StageReport:
    rules = rules or WebTextRules.load()
    params = load_preset(rules.near_duplicate_preset)
    if not lake.exists(UPSTREAM):
        raise FileNotFoundError(f"{lake.table_path(UPSTREAM)}: no web_pages table yet; ingest a web dump first")
    if params.method == "oph":  # numba's cached kernel loads while the first pages are extracted
        load_kernel_in_background()
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    texts = PageSpool(WEB_TEXT_SCHEMA, rules.batch_rows, 1 << 30, size_column="size")
    signatures = PageSpool(SIGNATURES_SCHEMA, 10_000, 1 << 30, size_column="doc_id")
    con = connect(lake, connections=connections)
    try:
        scan = delta_scan(lake, UPSTREAM, upstream_version)
        rank_copies(con, f"(SELECT doc_id, dump, url, host, domain, fetch_time, payload_bytes AS size FROM {scan})",
                    _NEWEST_FETCH, key="url", repo="domain", path="url", table="by_url")
        for row in con.execute("SELECT * FROM by_url WHERE rank > 1 ORDER BY doc_id").to_arrow_table().to_pylist():
            lineage.record(row["doc_id"], "drop", "duplicate_url", _survivor_detail(row, fetch_time=row["fetch_time"]), row["dump"], row["domain"], row["url"])
            report.dropped("duplicate_url", row["size"])

        keys: list[dict] = []
        reader = con.execute(
            f"""SELECT p.doc_id, p.html, k.dump, k.url, k.host, k.domain, k.fetch_time, k.size AS payload_bytes
                FROM {scan} p JOIN by_url k USING (doc_id) WHERE k.rank = 1"""
        ).to_arrow_reader(rules.batch_rows)
        work = ((batch, (batch.column("html").to_pylist(), rules)) for batch in reader)
        for batch, extracted in ordered_map(extract_batch, work, workers):
            pages = batch.drop_columns(["html"]).to_pylist()
            kept = []
            for page, result in zip(pages, extracted):
                if result["size"] < rules.min_text_chars:
                    lineage.record(page["doc_id"], "drop", "no_text", f"no text in {page['payload_bytes']} bytes of HTML, whole page included",
                                   page["dump"], page["domain"], page["url"])
                    report.dropped("no_text", page["payload_bytes"])
                    continue
                row = {**page, **result}
                kept.append(row)
                keys.append({k: row[k] for k in _KEYS})
            if kept:
                table = pa.Table.from_pylist(kept, schema=WEB_TEXT_SCHEMA)
                texts.add_batch(table.to_batches()[0] if table.num_rows else table)
                ids = table.column("doc_id").to_pylist()
                signatures.add_batch(signature_rows(ids, params, signature_batch(table.column("text").combine_chunks(), params)))
            if progress is not None:
                progress(report.rows_in + len(keys))

        con.register("extracted", pa.Table.from_pylist(keys, schema=pa.schema([WEB_TEXT_SCHEMA.field(k) for k in _KEYS])))
        rank_copies(con, "extracted", rules.exact_order, key="sha256", repo="domain", path="url", table="exact_ranked")
        dropped: set[str] = set()
        for row in con.execute("SELECT * FROM exact_ranked WHERE rank > 1 ORDER BY doc_id").to_arrow_table().to_pylist():
            lineage.record(row["doc_id"], "drop", "exact_duplicate", _survivor_detail(row, sha256=row["sha256"]), row["dump"], row["domain"], row["url"])
            report.dropped("exact_duplicate", row["size"])
            dropped.add(row["doc_id"])

        signed = pa.Table.from_batches(list(signatures.batches(lambda b: b)), schema=SIGNATURES_SCHEMA)
        con.register("page_signatures", signed)
        verification = None
        if params.verify_threshold is not None:
            verification = Verification("SELECT doc_id, signature FROM page_signatures", params.verify_threshold, params.num_perm)
        cluster_stats = build_clusters(
            con,
            "SELECT doc_id, dump, url, domain, fetch_time, size FROM exact_ranked WHERE rank = 1",
            "SELECT doc_id, generate_subscripts(band_keys, 1) AS band, unnest(band_keys) AS key FROM page_signatures WHERE has_shingles",
            rules.exact_order,
            verification,
        )
        near = con.execute(
            """SELECT c.doc_id, c.survivor_id, c.cluster_size, d.dump, d.url, d.domain, d.size,
                      s.domain AS survivor_repo, s.url AS survivor_path, s.dump AS survivor_dump,
                      sd.signature AS sig, ss.signature AS survivor_sig
               FROM clustered c JOIN docs d USING (doc_id) JOIN docs s ON s.doc_id = c.survivor_id
               JOIN page_signatures sd ON sd.doc_id = c.doc_id JOIN page_signatures ss ON ss.doc_id = c.survivor_id
               WHERE c.rank > 1 ORDER BY c.doc_id"""
        ).to_arrow_table().to_pylist()
        similarity = signature_jaccard([r["sig"] for r in near], [r["survivor_sig"] for r in near], params.num_perm)
        for row, jaccard in zip(near, similarity):
            detail = _survivor_detail(row, jaccard=round(float(jaccard), 4), cluster_size=row["cluster_size"], preset=params.preset)
            lineage.record(row["doc_id"], "drop", "near_duplicate", detail, row["dump"], row["domain"], row["url"])
            report.dropped("near_duplicate", row["size"])
            dropped.add(row["doc_id"])
        losers = pa.array(sorted(dropped), pa.string())

        def keep(batch: pa.RecordBatch) -> pa.RecordBatch:
            if len(losers):
                batch = batch.filter(pc.invert(pc.is_in(batch.column("doc_id"), value_set=losers)))
            for language, size in zip(batch.column("language").to_pylist(), batch.column("size").to_pylist()):
                report.kept(language, size)
            return batch

        report.version, report.lineage_version = lineage.commit_with_table(lake, texts.batches(keep), WEB_TEXT_SCHEMA)
        report.tables["near_duplicates"] = [{"preset": params.preset, **cluster_stats}]
    finally:
        texts.discard()
        signatures.discard()
        lineage.discard()
        con.close()
    return report
