"""sft_stage1 / sft_stage2: one SFT stage's samples from sft_decontaminated, by the stage rules
(rules/sft/stages.yaml), without exact or near duplicates, written as a lake table and as the chat
files a trainer reads.

Two passes over the upstream, text never held whole: the first checks the rules and keeps, per
candidate, its doc id, the SHA-256 of its normalized text (whitespace collapsed), a quality rank and its
MinHash signature and LSH band keys (the fuzzy dedup engine's `signature_batch`); DuckDB then picks one
survivor per SHA-256 (`exact_duplicate`) and one per near-duplicate cluster (`build_clusters`,
`near_duplicate`), each drop's lineage naming its survivor. The second pass writes the survivors.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from codelake.exact_dedup.survivors import SurvivorOrder
from codelake.fuzzy_dedup import FuzzyParams, load_preset
from codelake.fuzzy_dedup.clusters import Verification, build_clusters, signature_jaccard
from codelake.fuzzy_dedup.signatures import signature_batch
from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory, DuckDBSettings
from codelake.report import StageReport
from codelake.sft_raw.formats import chat_text
from codelake.sft_raw.schema import SFT_VERIFIED_SCHEMA
from codelake.sft_stages.rules import NEAR_DEDUP_RULES, StageRules
from codelake.sft_stages.tokens import token_counter

STAGE_SCHEMA = pa.schema([*SFT_VERIFIED_SCHEMA, pa.field("tokens", pa.int64())])
SURVIVOR_ORDER = SurvivorOrder((("quality", True), ("doc_id", False)))  # passed tests, then parsed code, then doc id
_CANDIDATES = pa.schema([("doc_id", pa.string()), ("sha", pa.string()), ("quality", pa.int32())])


def normalized_text(turns: list[dict]) -> str:
    return " ".join(chat_text(turns).split())


def _quality(row: dict) -> int:
    return 2 * (row["execution"] == "passed") + (row["parsed_blocks"] > 0)


class ChatFileWriter:
    """The kept samples as chat JSONL (`messages` records) for the trainer and, with `export_dir`, as an HF
    datasets Parquet file; written under temporary names, renamed into place by `commit` (a failed run
    leaves the previous files)."""

    EXPORT_COLUMNS = ["doc_id", "messages", "source", "license", "language", "stage", "tokens", "repo", "path"]

    def __init__(self, stage: str, corpora_dir: Path, export_dir: Path | None):
        corpora_dir.mkdir(parents=True, exist_ok=True)
        self.targets = {corpora_dir / f"{stage}.jsonl": corpora_dir / f".{stage}.jsonl.tmp"}
        self.jsonl = open(self.targets[corpora_dir / f"{stage}.jsonl"], "w", encoding="utf-8")
        self.parquet = None
        if export_dir is not None:
            (export_dir / "data").mkdir(parents=True, exist_ok=True)
            target = export_dir / "data" / "train-00000-of-00001.parquet"
            self.targets[target] = export_dir / "data" / ".train.parquet.tmp"
            self.export_schema = pa.schema([STAGE_SCHEMA.field(c).with_name("id" if c == "doc_id" else c) for c in self.EXPORT_COLUMNS])
            self.parquet = pq.ParquetWriter(self.targets[target], self.export_schema)

    def write(self, rows: list[dict]) -> None:
        for row in rows:
            self.jsonl.write(json.dumps({"id": row["doc_id"], "messages": row["messages"], "source": row["source"], "license": row["license"],
                                         "language": row["language"], "tokens": row["tokens"]}, ensure_ascii=False) + "\n")
        if self.parquet is not None and rows:
            self.parquet.write_table(pa.Table.from_pylist([{("id" if c == "doc_id" else c): r[c] for c in self.EXPORT_COLUMNS} for r in rows],
                                                          schema=self.export_schema))

    def close(self) -> None:
        self.jsonl.close()
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None

    def commit(self) -> dict[str, str]:
        self.close()
        for target, temporary in self.targets.items():
            os.replace(temporary, target)
        return {("chat_jsonl" if t.suffix == ".jsonl" else "hf_parquet"): str(t) for t in self.targets}

    def discard(self) -> None:
        self.close()
        for temporary in self.targets.values():
            temporary.unlink(missing_ok=True)


def run_sft_stage(
    lake: Lake, stage: str, corpora_dir: Path, export_dir: Path | None = None, rules: StageRules | None = None,
    params: FuzzyParams | None = None, upstream: str = "sft_decontaminated", upstream_version: int | None = None,
    connections: ConnectionFactory | None = None, batch_rows: int = 1000,
) -> StageReport:
    short = stage.removeprefix("sft_")  # the asset sft_stage1 takes the samples meant for stage1
    rules = rules or StageRules.load(short)
    params = params or load_preset(rules.near_dedup_preset, NEAR_DEDUP_RULES)
    if not lake.exists(upstream):
        raise FileNotFoundError(f"{lake.table_path(upstream)}: no {upstream} table yet")
    source = lake.dataset(upstream, upstream_version)
    mine = ds.field("stage") == short
    report = StageReport(stage)
    lineage = LineageSpool(stage)
    candidates, bands, signatures = [], [], []
    drops: dict[str, tuple[str, str]] = {}
    where: dict[str, tuple[str, str, str, int]] = {}

    # pass 1: rules, then the dedup keys of every candidate
    for batch in source.to_batches(filter=mine, batch_size=batch_rows):
        rows = batch.to_pylist()
        texts, ids = [], []
        for row in rows:
            where[row["doc_id"]] = (row["dump"], row["repo"], row["path"], row["size"])
            broken = rule_reason = rules.violation(row)
            if broken:
                rule_reason, detail = broken
                drops[row["doc_id"]] = (rule_reason, detail)
                continue
            text = normalized_text(row["messages"])
            candidates.append((row["doc_id"], hashlib.sha256(text.encode("utf-8")).hexdigest(), _quality(row)))
            texts.append(text)
            ids.append(row["doc_id"])
        if texts:
            matrix, has_shingles, keys = signature_batch(pa.array(texts, pa.large_string()), params)
            # A text without a single token has the empty signature: it would be a near duplicate of every other one.
            signed = np.flatnonzero(has_shingles)
            keys = keys[signed].view(np.int64)
            bands.append(pa.table({"doc_id": pa.array(ids, pa.string()).take(np.repeat(signed, keys.shape[1])),
                                   "band": np.tile(np.arange(keys.shape[1], dtype=np.int32), signed.size), "key": keys.reshape(-1)}))
            matrix = np.ascontiguousarray(matrix.astype(matrix.dtype.newbyteorder("<"), copy=False))
            signatures.append(pa.table({"doc_id": ids, "signature": [row.tobytes() for row in matrix]}))

    # exact then near duplicates, by SQL over the keys (no text)
    con = connections() if connections is not None else DuckDBSettings().open()
    duplicates: dict[str, tuple[str, str]] = {}
    try:
        con.register("candidates_arrow", pa.Table.from_pylist([dict(zip(_CANDIDATES.names, c)) for c in candidates], schema=_CANDIDATES))
        con.execute(f"""CREATE TEMP TABLE ranked AS SELECT *, row_number() OVER (PARTITION BY sha ORDER BY {SURVIVOR_ORDER.sql()}) AS rank,
                        first_value(doc_id) OVER (PARTITION BY sha ORDER BY {SURVIVOR_ORDER.sql()}) AS survivor FROM candidates_arrow""")
        for doc, survivor in con.execute("SELECT doc_id, survivor FROM ranked WHERE rank > 1").fetchall():
            duplicates[doc] = ("exact_duplicate", json.dumps({"survivor": survivor}))
        if candidates:
            con.register("bands_arrow", pa.concat_tables(bands))
            con.register("signatures_arrow", pa.concat_tables(signatures))
            verification = (Verification("SELECT doc_id, signature FROM signatures_arrow", params.verify_threshold, params.num_perm)
                            if params.verify_threshold else None)
            stats = build_clusters(con, "SELECT doc_id, quality FROM ranked WHERE rank = 1", "SELECT doc_id, band, key FROM bands_arrow",
                                   SURVIVOR_ORDER, verification)
            pairs = con.execute("""SELECT c.doc_id, c.survivor_id, c.cluster_size, a.signature, b.signature FROM clustered c
                                   JOIN signatures_arrow a ON a.doc_id = c.doc_id JOIN signatures_arrow b ON b.doc_id = c.survivor_id
                                   WHERE c.rank > 1""").fetchall()
            similarity = signature_jaccard([p[3] for p in pairs], [p[4] for p in pairs], params.num_perm)
            for (doc, survivor, size, _, _), jaccard in zip(pairs, similarity):
                duplicates[doc] = ("near_duplicate", json.dumps({"survivor": survivor, "jaccard": round(float(jaccard), 3),
                                                                  "cluster_size": size, "preset": params.preset}))
            report.tables["near_dedup"] = [{**stats, "preset": params.preset}]
    finally:
        con.close()
    drops.update(duplicates)

    # pass 2: write the survivors, count tokens
    count_tokens, counted_with = token_counter(lake)
    files = ChatFileWriter(stage, corpora_dir, export_dir)
    per_source: Counter = Counter()
    tokens_by: Counter = Counter()

    def rows() -> Iterator[pa.RecordBatch]:
        for batch in source.to_batches(filter=mine, batch_size=batch_rows):
            out = []
            for row in batch.to_pylist():
                if row["doc_id"] in drops:
                    reason, detail = drops[row["doc_id"]]
                    dump, repo, path, size = where[row["doc_id"]]
                    lineage.record(row["doc_id"], "drop", reason, detail, dump, repo, path)
                    report.dropped(reason, size)
                    continue
                out.append(row)
            if not out:
                continue
            for row, tokens in zip(out, count_tokens([chat_text(r["messages"]) for r in out])):
                row["tokens"] = tokens
                report.kept(row["language"], row["size"])
                per_source[(row["source"], row["language"])] += 1
                tokens_by[(row["source"], row["language"])] += tokens
            files.write(out)
            yield pa.RecordBatch.from_pylist(out, schema=STAGE_SCHEMA)

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows(), STAGE_SCHEMA)
        written = files.commit()
    finally:
        lineage.discard()
        files.discard()
    report.tables["by_source_and_language"] = [
        {"source": s, "language": lang, "samples": n, "tokens": tokens_by[(s, lang)]} for (s, lang), n in per_source.most_common()
    ]
    report.tables["files"] = [{"what": k, "path": v} for k, v in written.items()]
    report.tables["tokens"] = [{"total": sum(tokens_by.values()), "counted_with": counted_with}]
    return report
