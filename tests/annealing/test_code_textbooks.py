"""code_textbooks against a local OpenAI-compatible server: failures, short answers, near duplicates among
the passages and of the corpus (the fuzzy engine), the response cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from annealing_corpus import DOCTESTS

from codelake.checks import conservation, duplicate_doc_ids
from codelake.code_textbooks import TextbookRules, run_code_textbooks
from codelake.code_textbooks import dedup
from codelake.fuzzy_dedup.signatures import SIGNATURES_SCHEMA, SIGNATURES_TABLE, signature_rows, signature_batch
from codelake.llm import LLMSession, LLMSettings, ResponseCache

STDLIB = Path(os.__file__).parent
PASSAGE = (STDLIB / "heapq.py").read_text()[:2500]
OTHER = (STDLIB / "fnmatch.py").read_text()[:2500]
CODE_PASSAGE = (STDLIB / "textwrap.py").read_text()[:2500]


def _rules(tmp_path, max_seeds: int = 1) -> TextbookRules:
    path = tmp_path / "textbooks.yaml"
    path.write_text(json.dumps({
        "topics": ["fails", "heaps", "heaps again", "tiny", "recited", "bisection"], "samples_per_topic": 1,
        "code_seeds": {"max_seeds": max_seeds, "seed_chars": 500}, "prompts": {"topic": "textbook_topic", "code": "textbook_code"},
        "min_chars": 200, "dedup": {"preset": "jaccard-0.8", "against": ["code_corpus"]},
    }))
    return TextbookRules.load(path)


def _responder(messages):
    prompt = messages[-1]["content"]
    if "about: heaps again" in prompt:
        return PASSAGE.replace("heap", "heap", 1) + "\nOne more sentence about heaps."  # a near duplicate
    if "about: heaps" in prompt:
        return PASSAGE
    if "about: tiny" in prompt:
        return "Too short."
    if "about: recited" in prompt:
        return DOCTESTS  # a file of the corpus, word for word
    if "about: bisection" in prompt:
        return OTHER
    return CODE_PASSAGE  # the code seed's passage


def _session(server, lake):
    settings = LLMSettings(base_url=server.base_url, model="m", concurrency=1, max_retries=0, backoff_seconds=0.01)
    return LLMSession(settings, ResponseCache(lake))


@pytest.fixture
def seeded(lake):
    from codelake.algorithmic_corpus import run_algorithmic_corpus

    run_algorithmic_corpus(lake)
    return lake


def test_passages_kept_and_dropped_with_reasons(seeded, server, tmp_path):
    lake = seeded
    server.responder = _responder
    server.script.append("400")  # the first request ("fails") is refused
    report = run_code_textbooks(lake, _session(server, lake), _rules(tmp_path))
    rows = lake.dataset("code_textbooks").to_table().to_pylist()
    assert sorted(r["path"] for r in rows if r["kind"] == "topic") == ["bisection", "heaps"]
    (code,) = [r for r in rows if r["kind"] == "code"]
    first_seed = min(lake.dataset("algorithmic_corpus").to_table(columns=["doc_id"]).column("doc_id").to_pylist())
    assert code["seed"] == first_seed and code["prompt"] == "textbook_code"
    assert all(r["model"] == "m" and r["dump"] == "synthetic" and r["size"] == len(r["text"].encode()) for r in rows)
    lineage = {r["path"]: r for r in lake.dataset("lineage").to_table().to_pylist() if r["stage"] == "code_textbooks"}
    assert lineage["fails"]["reason"] == "llm_error" and "HTTP 400" in lineage["fails"]["detail"]
    assert lineage["tiny"]["reason"] == "too_short"
    near = json.loads(lineage["heaps again"]["detail"])
    heaps = next(r for r in rows if r["path"] == "heaps")
    assert lineage["heaps again"]["reason"] == "near_duplicate" and near["survivor"] == heaps["doc_id"] and near["jaccard"] >= 0.8
    recited = json.loads(lineage["recited"]["detail"])
    assert lineage["recited"]["reason"] == "near_duplicate_of_corpus"
    assert recited["table"] == "code_corpus" and recited["path"] == "doctests.py" and recited["jaccard"] > 0.95
    assert conservation(lake, "code_textbooks", report.version, report.rows_in).holds and report.rows_in == 7
    assert duplicate_doc_ids(lake, "code_textbooks", report.version) == 0
    # again: every answer that was paid for comes from the cache; the refused one is asked again
    again = run_code_textbooks(lake, _session(server, lake), _rules(tmp_path))
    # "fails" is answered this time, with the code passage's text: the later of the two goes as a near duplicate
    assert len(server.requests) == 8 and again.rows_kept == 3 and again.drops_by_reason["near_duplicate"] == 2


def test_stored_corpus_signatures_are_reused(seeded, server, tmp_path, monkeypatch):
    lake = seeded
    params = _rules(tmp_path).dedup
    corpus = lake.dataset("code_corpus").to_table(columns=["doc_id", "text"])
    result = signature_batch(corpus.column("text").combine_chunks().cast(pa.large_string()), params)
    lake.write(SIGNATURES_TABLE, [signature_rows(corpus.column("doc_id").to_pylist(), params, result)], SIGNATURES_SCHEMA, partition_by=["params"])
    signed_texts = []
    real_sign = dedup.sign
    monkeypatch.setattr(dedup, "sign", lambda texts, p: signed_texts.append(len(texts)) or real_sign(texts, p))
    server.responder = _responder
    run_code_textbooks(lake, _session(server, lake), _rules(tmp_path, max_seeds=0))
    assert signed_texts == []  # every corpus file had a stored signature: none signed again
    reasons = {r["path"]: r["reason"] for r in lake.dataset("lineage").to_table().to_pylist() if r["stage"] == "code_textbooks"}
    assert reasons["recited"] == "near_duplicate_of_corpus"


def test_duplicates_among_keeps_the_first_of_each_cluster():
    params = TextbookRules.load().dedup
    signed = dedup.sign([PASSAGE, OTHER, PASSAGE + " extra words", PASSAGE], params)
    found = dedup.duplicates_among(signed, params)
    assert set(found) == {2, 3} and found[3] == (0, 1.0) and found[2][0] == 0
    assert np.all(signed.has_shingles)
