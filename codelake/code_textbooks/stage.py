"""code_textbooks: textbook passages written by an LLM from seed topics and algorithmic code, without
near duplicates among themselves or of the corpus.

Every requested passage has a doc id and ends as a row or a lineage drop: `llm_error`,
`budget_exhausted`, `too_short`, `near_duplicate` (of an earlier passage: the detail names it and the
estimated Jaccard similarity) or `near_duplicate_of_corpus` (the detail names the corpus file). Passages
are held in memory for the dedup: their number is bounded by the seeds of rules/annealing/textbooks.yaml.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from codelake.code_textbooks.dedup import duplicates_among, duplicates_in_corpus, sign
from codelake.code_textbooks.rules import TextbookRules
from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory
from codelake.llm import ChatRequest, LLMFailure, LLMSession, load_prompt
from codelake.report import StageReport

STAGE = "code_textbooks"
SYNTHETIC_DUMP = "synthetic"
TEXTBOOKS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()), ("kind", pa.string()),  # topic | code
        ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()),
        ("seed", pa.string()),  # the topic, or the seed file's doc id
        ("language", pa.string()), ("size", pa.int64()), ("model", pa.string()), ("prompt", pa.string()),
        ("text", pa.large_string()),
    ]
)


@dataclass
class _Passage:
    doc_id: str
    kind: str
    repo: str
    path: str
    seed: str
    prompt: str
    text: str = ""


def passage_id(*parts: str) -> str:
    return hashlib.sha256("\0".join((STAGE, *parts)).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _requests(lake: Lake, rules: TextbookRules, seeds_table: str) -> list[tuple[_Passage, ChatRequest]]:
    topic_prompt, code_prompt = load_prompt(rules.topic_prompt), load_prompt(rules.code_prompt)
    requests = []
    for topic in rules.topics:
        for sample in range(rules.samples_per_topic):
            p = _Passage(passage_id("topic", topic, str(sample)), "topic", "topics", topic, topic, topic_prompt.name)
            params = {**topic_prompt.params, **({"seed": sample} if sample else {})}
            requests.append((p, ChatRequest(topic_prompt.messages(topic=topic), params, prompt=topic_prompt.name)))
    if rules.max_code_seeds and lake.exists(seeds_table):
        dataset = lake.dataset(seeds_table)
        ids = sorted(dataset.to_table(columns=["doc_id"]).column("doc_id").to_pylist())[: rules.max_code_seeds]
        seeds = dataset.to_table(columns=["doc_id", "repo", "path", "language", "text"], filter=pc.field("doc_id").isin(ids)).to_pylist()
        for seed in sorted(seeds, key=lambda r: r["doc_id"]):
            p = _Passage(passage_id("code", seed["doc_id"]), "code", seed["repo"], seed["path"], seed["doc_id"], code_prompt.name)
            messages = code_prompt.messages(language=seed["language"], path=f"{seed['repo']}/{seed['path']}", code=(seed["text"] or "")[: rules.seed_chars])
            requests.append((p, ChatRequest(messages, dict(code_prompt.params), prompt=code_prompt.name)))
    return requests


def run_code_textbooks(
    lake: Lake, session: LLMSession, rules: TextbookRules | None = None, seeds_table: str = "algorithmic_corpus",
    connections: ConnectionFactory | None = None,
) -> StageReport:
    rules = rules or TextbookRules.load()
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)

    def drop(p: _Passage, reason: str, detail: dict | str) -> None:
        lineage.record(p.doc_id, "drop", reason, detail if isinstance(detail, str) else json.dumps(detail), SYNTHETIC_DUMP, p.repo, p.path)
        report.dropped(reason, len(p.text.encode("utf-8", "surrogatepass")))

    answered: list[_Passage] = []
    for p, answer in session.complete_many(_requests(lake, rules, seeds_table)):
        if isinstance(answer, LLMFailure):
            drop(p, answer.reason, answer.message)
            continue
        p.text = answer.text.strip()
        if len(p.text) < rules.min_chars:
            drop(p, "too_short", f"{len(p.text)} characters < min_chars {rules.min_chars}")
            continue
        answered.append(p)

    kept: list[_Passage] = []
    if answered:
        signed = sign([p.text for p in answered], rules.dedup)
        among = duplicates_among(signed, rules.dedup)
        corpus: dict[int, dict] = {}
        for table in rules.dedup_against:
            for i, match in duplicates_in_corpus(signed, rules.dedup, lake, table, connections).items():
                corpus.setdefault(i, {**match, "table": table})
        for i, p in enumerate(answered):
            if i in among:
                survivor, similarity = among[i]
                drop(p, "near_duplicate", {"survivor": answered[survivor].doc_id, "jaccard": round(similarity, 4), "preset": rules.dedup.preset})
            elif i in corpus:
                drop(p, "near_duplicate_of_corpus", {**corpus[i], "preset": rules.dedup.preset})
            else:
                kept.append(p)

    model = session.settings.model
    rows = []
    for p in kept:
        size = len(p.text.encode("utf-8", "surrogatepass"))
        report.kept("Markdown", size)
        rows.append({"doc_id": p.doc_id, "kind": p.kind, "dump": SYNTHETIC_DUMP, "repo": p.repo, "path": p.path, "seed": p.seed,
                     "language": "Markdown", "size": size, "model": model, "prompt": p.prompt, "text": p.text})
    batches = [pa.RecordBatch.from_pylist(rows, schema=TEXTBOOKS_SCHEMA)] if rows else []
    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, batches, TEXTBOOKS_SCHEMA)
    finally:
        lineage.discard()
    report.tables["llm"] = [session.stats.as_metadata()]
    return report
