"""code_web_corpus: the pages code_web_recall qualified after its last round, as training text.

A page is in when its last round's score reaches the recall threshold, or its domain is code-related
and a URL pattern includes it; a URL pattern that excludes it keeps it out. Every other web_text page
is a lineage drop: `url_excluded` (naming the rule) or `not_code_related` (its score and its domain's
verdict in the last round). Rows carry url, domain, the round the page first qualified in, its score,
and `text` (the training mixture reads this table as an optional source).
"""

from __future__ import annotations

import json

import pyarrow as pa

from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory, connect, delta_scan
from codelake.report import StageReport

STAGE = "code_web_corpus"
UPSTREAM = "code_web_recall"

CODE_WEB_CORPUS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("dump", pa.string()),
        ("url", pa.string()),
        ("domain", pa.string()),
        ("round", pa.int32()),  # first recall round the page qualified in
        ("score", pa.float64()),  # P(code) in the last round
        ("title", pa.string()),
        ("language", pa.string()),  # natural language of the page
        ("size", pa.int64()),
        ("text", pa.large_string()),
    ]
)


def run_code_web_corpus(lake: Lake, upstream_version: int | None = None, connections: ConnectionFactory | None = None, batch_rows: int = 2000) -> StageReport:
    if not lake.exists(UPSTREAM) or not lake.exists("web_text"):
        raise FileNotFoundError(f"{lake.table_path(UPSTREAM)}: no code_web_recall table yet; run code_web_recall first")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    con = connect(lake, connections=connections)
    try:
        recall = delta_scan(lake, UPSTREAM, upstream_version)
        rounds = len(con.execute(f"SELECT scores FROM {recall} LIMIT 1").fetchone()[0] or [])
        for doc, dump, url, domain, score, code_domain, pattern, size in con.execute(
            f"SELECT doc_id, dump, url, domain, score, code_domain[-1], url_pattern, size FROM {recall} WHERE NOT in_corpus ORDER BY doc_id"
        ).fetchall():
            if pattern == "exclude":
                reason, detail = "url_excluded", f"an exclude pattern of domain {domain} in rules/web_recall/url_patterns.yaml matches {url}"
            else:
                reason = "not_code_related"
                detail = json.dumps({"score": round(score, 4), "round": rounds, "code_domain": bool(code_domain)})
            lineage.record(doc, "drop", reason, detail, dump, domain, url)
            report.dropped(reason, size)
        reader = con.execute(
            f"""SELECT r.doc_id, r.dump, r.url, r.domain, r.corpus_round AS round, r.score, t.title, t.language, t.size, t.text
                FROM {recall} r JOIN web_text t USING (doc_id) WHERE r.in_corpus ORDER BY r.dump, r.doc_id"""
        ).to_arrow_reader(batch_rows)

        def kept():
            for batch in reader:
                batch = batch.cast(CODE_WEB_CORPUS_SCHEMA)
                for language, size in zip(batch.column("language").to_pylist(), batch.column("size").to_pylist()):
                    report.kept(language, size)
                yield batch

        report.version, report.lineage_version = lineage.commit_with_table(lake, kept(), CODE_WEB_CORPUS_SCHEMA)
        report.tables["pages_per_domain"] = [
            {"domain": d, "pages": n, "first round": r}
            for d, n, r in con.execute(f"SELECT domain, count(*), min(corpus_round) FROM {recall} WHERE in_corpus GROUP BY 1 ORDER BY 2 DESC LIMIT 30").fetchall()
        ]
    finally:
        lineage.discard()
        con.close()
    return report
