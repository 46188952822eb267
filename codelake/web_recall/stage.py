"""code_web_recall: OpenCoder's code-related web recall as data, over every page of web_text.

Each round: positives are the seed (rules/web_recall/seed.yaml: domains and URL patterns) grown by
the earlier rounds, plus code-adjacent documents of the lake's own code_corpus (Markdown and
reStructuredText files, READMEs); negatives are sampled from the rest of the crawl (deterministically
by doc_id). A share of both is held out to measure precision and recall. A BPE tokenizer is trained
on the round's seed, the texts pretokenized with it, and a fastText classifier trained on them; every
page is scored. A domain with more than `domain_threshold` of its pages recalled is code-related; in
such a domain the pages a person's URL patterns include (rules/web_recall/url_patterns.yaml), or, for
a domain without includes, its recalled pages, become positives of the next round. Excluded URLs never
do. Each round's model file, tokenizer, parameters and hash go to `code_web_recall_rounds`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory, connect, delta_scan
from codelake.report import StageReport
from codelake.web_recall.classifier import train_round_model
from codelake.web_recall.rules import RecallRules
from codelake.web_recall.schema import CODE_WEB_RECALL_SCHEMA, RECALL_ROUNDS_SCHEMA, RECALL_ROUNDS_TABLE

STAGE = "code_web_recall"
UPSTREAM = "web_text"
_SCORE_BATCH = 2000


def _hash_fraction(doc_id: str, salt: str) -> float:
    return int(hashlib.sha256(f"{salt}\0{doc_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _code_corpus_docs(lake: Lake, con, rules: RecallRules) -> list[str]:
    if rules.code_corpus_max_docs <= 0 or not lake.exists("code_corpus"):
        return []
    columns = {c for c, *_ in con.execute("DESCRIBE code_corpus").fetchall()}
    if "text" not in columns:
        return []
    languages = ", ".join("'" + lang.replace("'", "''") + "'" for lang in rules.code_corpus_languages) or "''"
    rows = con.execute(
        f"""SELECT substr(text, 1, {int(rules.text_chars)}) FROM code_corpus
            WHERE language IN ({languages}) OR lower(regexp_extract(path, '[^/]*$')) LIKE 'readme%'
            ORDER BY doc_id LIMIT {int(rules.code_corpus_max_docs)}"""
    ).fetchall()
    return [r[0] for r in rows if r[0] and r[0].strip()]


def _texts(con, scan: str, ids: list[str], chars: int) -> dict[str, str]:
    if not ids:
        return {}
    con.register("wanted", pa.table({"doc_id": ids}))
    try:
        rows = con.execute(f"SELECT doc_id, substr(text, 1, {int(chars)}) FROM {scan} WHERE doc_id IN (SELECT doc_id FROM wanted)").fetchall()
    finally:
        con.unregister("wanted")
    return dict(rows)


def _precision_recall(scores: list[float], labels: list[bool], threshold: float) -> tuple[float | None, float | None]:
    predicted = [s >= threshold for s in scores]
    true_positive = sum(p and y for p, y in zip(predicted, labels))
    precision = true_positive / sum(predicted) if any(predicted) else None
    recall = true_positive / sum(labels) if any(labels) else None
    return precision, recall


def run_code_web_recall(
    lake: Lake,
    rules: RecallRules | None = None,
    upstream_version: int | None = None,
    connections: ConnectionFactory | None = None,
    progress: Callable[[str], None] | None = None,
) -> StageReport:
    rules = rules or RecallRules.load()
    if not lake.exists(UPSTREAM):
        raise FileNotFoundError(f"{lake.table_path(UPSTREAM)}: no web_text table yet; run web_text first")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)  # every page is kept: an empty lineage, stamped like every stage's
    con = connect(lake, connections=connections)
    try:
        scan = delta_scan(lake, UPSTREAM, upstream_version)
        pages = con.execute(f"SELECT doc_id, dump, url, domain, size FROM {scan} ORDER BY doc_id").to_arrow_table()
        ids = pages.column("doc_id").to_pylist()
        urls, domains = pages.column("url").to_pylist(), pages.column("domain").to_pylist()
        n = len(ids)
        verdicts = [rules.verdict(u, d) for u, d in zip(urls, domains)]
        domain_pages = Counter(domains)
        code_docs = _code_corpus_docs(lake, con, rules)
        seed_round: list[int | None] = [1 if rules.seed.matches(u, d) and v != "exclude" else None for u, d, v in zip(urls, domains, verdicts)]
        scores = np.zeros((rules.rounds, n))
        recalled = np.zeros((rules.rounds, n), dtype=bool)
        code_domain = np.zeros((rules.rounds, n), dtype=bool)
        corpus_round: list[int | None] = [None] * n
        round_rows: list[dict] = []
        previous_domains: set[str] = set()
        for r in range(rules.rounds):
            positive = [i for i in range(n) if seed_round[i] is not None]
            excluded_domains = previous_domains
            candidates = [i for i in range(n) if seed_round[i] is None and domains[i] not in excluded_domains]
            candidates.sort(key=lambda i: _hash_fraction(ids[i], f"negatives-{r}"))
            wanted = int(np.ceil(rules.negatives_per_positive * (len(positive) + len(code_docs))))
            negative = candidates[:wanted]
            texts = _texts(con, scan, [ids[i] for i in positive + negative], rules.text_chars)
            held = {i for i in positive + negative if _hash_fraction(ids[i], "held-out") < rules.held_out_share}
            train_pos = [texts[ids[i]] for i in positive if i not in held] + code_docs
            train_neg = [texts[ids[i]] for i in negative if i not in held]
            if not train_pos or not train_neg:
                raise ValueError(f"round {r + 1}: {len(train_pos)} positives and {len(train_neg)} negatives to train on; "
                                 f"the seed in {rules.files[1]} matches too little (or too much) of web_text")
            model = train_round_model(train_pos, train_neg, rules.tokenizer, rules.fasttext)
            if progress:
                progress(f"round {r + 1}: trained on {len(train_pos)} positives, {len(train_neg)} negatives (model {model.sha256[:12]})")
            reader = con.execute(f"SELECT doc_id, substr(text, 1, {int(rules.text_chars)}) AS text FROM {scan} ORDER BY doc_id").to_arrow_reader(_SCORE_BATCH)
            at = 0
            for batch in reader:
                batch_scores = model.scores(batch.column("text").to_pylist())
                scores[r, at:at + len(batch_scores)] = batch_scores
                at += len(batch_scores)
            recalled[r] = scores[r] >= rules.recall_threshold
            recalled_per_domain = Counter(d for d, hit in zip(domains, recalled[r]) if hit)
            shares = {d: recalled_per_domain[d] / domain_pages[d] for d in domain_pages}
            code_domains = {d for d, s in shares.items() if s > rules.domain_threshold and domain_pages[d] >= rules.min_domain_pages}
            code_domain[r] = [d in code_domains for d in domains]
            held_list = sorted(held)
            precision, recall = _precision_recall([scores[r, i] for i in held_list], [seed_round[i] is not None for i in held_list], rules.recall_threshold)
            added = 0
            for i in range(n):
                if verdicts[i] == "exclude":
                    continue
                entry = rules.patterns.get(domains[i])
                has_includes = entry is not None and bool(entry.include.patterns)
                qualifies = recalled[r, i] or (code_domain[r, i] and verdicts[i] == "include")
                if qualifies and corpus_round[i] is None:
                    corpus_round[i] = r + 1
                grows = code_domain[r, i] and (verdicts[i] == "include" if has_includes else recalled[r, i])
                if grows and seed_round[i] is None:
                    seed_round[i] = r + 2
                    added += 1
            top = sorted(domain_pages, key=lambda d: (-shares[d], -domain_pages[d], d))[:15]
            round_rows.append({
                "round": r + 1,
                "recall_version": None,
                "model_sha256": model.sha256,
                "model": model.model_bytes,
                "tokenizer": model.tokenizer.to_str(),
                "parameters": json.dumps({"fasttext": rules.fasttext, "tokenizer": rules.tokenizer, "recall_threshold": rules.recall_threshold,
                                          "domain_threshold": rules.domain_threshold, "text_chars": rules.text_chars}, sort_keys=True),
                "positives": len(train_pos),
                "negatives": len(train_neg),
                "held_out": len(held),
                "precision": precision,
                "recall": recall,
                "pages_recalled": int(recalled[r].sum()),
                "code_domains": sorted(code_domains),
                "new_domains": sorted(code_domains - previous_domains),
                "score_histogram": np.histogram(scores[r], bins=10, range=(0.0, 1.0))[0].astype(np.int64).tolist(),
                "top_domains": json.dumps([{"domain": d, "pages": domain_pages[d], "recalled": recalled_per_domain[d], "share": round(shares[d], 3)} for d in top]),
                "_added": added,
            })
            previous_domains = code_domains
        last = rules.rounds - 1
        in_corpus = [verdicts[i] != "exclude" and bool(recalled[last, i] or (code_domain[last, i] and verdicts[i] == "include")) for i in range(n)]
        sizes = pages.column("size").to_pylist()
        for i in range(n):
            report.kept("code-related" if in_corpus[i] else "other", sizes[i])
        table = pa.table(
            {
                "doc_id": ids, "dump": pages.column("dump"), "url": urls, "domain": domains,
                "scores": pa.array(scores.T.tolist(), pa.list_(pa.float64())),
                "recalled": pa.array(recalled.T.tolist(), pa.list_(pa.bool_())),
                "code_domain": pa.array(code_domain.T.tolist(), pa.list_(pa.bool_())),
                "url_pattern": verdicts,
                "seed_round": pa.array(seed_round, pa.int32()),
                "corpus_round": pa.array([c if in_corpus[i] else None for i, c in enumerate(corpus_round)], pa.int32()),
                "in_corpus": in_corpus,
                "score": scores[last].tolist(),
                "size": sizes,
            },
            schema=CODE_WEB_RECALL_SCHEMA,
        )
        report.version, report.lineage_version = lineage.commit_with_table(lake, table.to_batches(max_chunksize=50_000), CODE_WEB_RECALL_SCHEMA)
        for row in round_rows:
            row["recall_version"] = report.version
        lake.write(RECALL_ROUNDS_TABLE, [pa.Table.from_pylist([{k: v for k, v in row.items() if not k.startswith("_")} for row in round_rows],
                                                              schema=RECALL_ROUNDS_SCHEMA).combine_chunks().to_batches()[0]], RECALL_ROUNDS_SCHEMA)
        report.tables["rounds"] = [
            {"round": row["round"], "positives": row["positives"], "negatives": row["negatives"],
             "precision": None if row["precision"] is None else round(row["precision"], 3),
             "recall": None if row["recall"] is None else round(row["recall"], 3),
             "pages recalled": row["pages_recalled"], "code domains": len(row["code_domains"]),
             "new domains": ", ".join(row["new_domains"][:8]) + (" …" if len(row["new_domains"]) > 8 else ""),
             "positives added": row["_added"], "model": row["model_sha256"][:12]}
            for row in round_rows
        ]
        report.tables["top_domains"] = json.loads(round_rows[-1]["top_domains"])
        report.tables["score_histogram"] = [{"score": f"{b / 10:.1f}–{(b + 1) / 10:.1f}", "pages": c} for b, c in enumerate(round_rows[-1]["score_histogram"])]
    finally:
        lineage.discard()
        con.close()
    return report
