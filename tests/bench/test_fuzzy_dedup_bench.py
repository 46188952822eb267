"""The fuzzy dedup benchmark's corpus builder, ground truth and metric: structure only, never timings.

Runs in the project venv: nothing here (or in what it imports) needs datatrove or rensa.
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import pytest

from bench.fuzzy_corpus import (
    THRESHOLD,
    ShingleSets,
    collect_sources,
    components,
    exact_jaccard,
    expected_token_jaccard,
    plant_near_duplicates,
    removed_by_clusters,
    score,
    write_dump,
    write_jsonl,
)
from codelake.fuzzy_dedup.shingles import shingles


def _source(n: int, lines: int = 120) -> str:
    rng = random.Random(n)
    words = [f"name{rng.randrange(10**6)}" for _ in range(400)]
    return "\n".join(f"def f{n}_{i}({rng.choice(words)}, {rng.choice(words)}):\n    return {rng.choice(words)} + {i}" for i in range(lines)) + "\n"


@pytest.fixture(scope="module")
def sources():
    return [(f"pkg/mod{n}.py", _source(n)) for n in range(40)]


def test_planted_copies_have_the_intended_jaccard(sources):
    corpus = plant_near_duplicates(sources, seed=3, share=0.5, rates=(0.01, 0.05, 0.1), modes=("token",))
    planted = corpus.planted_pairs()
    assert planted and len({d.key for d in corpus.docs}) == len(corpus.docs)
    assert len({d.text for d in corpus.docs}) == len(corpus.docs)  # every text distinct: exact dedup removes none
    sets = ShingleSets([d.text for d in corpus.docs])
    for original, copy, mode, rate in planted:
        assert mode == "token" and corpus.docs[copy].origin == corpus.docs[original].key
        assert corpus.docs[copy].path == corpus.docs[original].path and corpus.docs[copy].repo != corpus.docs[original].repo
        assert abs(sets.jaccard(original, copy) - expected_token_jaccard(rate)) < 0.08, (rate, sets.jaccard(original, copy))
    assert len(set(corpus.stars.values())) == len(corpus.stars)  # distinct star counts


def test_line_edits_lower_jaccard_with_the_rate(sources):
    means = {}
    for rate in (0.01, 0.1, 0.3):
        corpus = plant_near_duplicates(sources, seed=1, share=1.0, rates=(rate,), modes=("line",))
        sets = ShingleSets([d.text for d in corpus.docs])
        values = [sets.jaccard(a, b) for a, b, _, _ in corpus.planted_pairs()]
        means[rate] = sum(values) / len(values)
    assert 1.0 > means[0.01] > means[0.1] > means[0.3] > 0.1


def test_corpus_is_deterministic(sources, tmp_path):
    a = plant_near_duplicates(sources, seed=7)
    b = plant_near_duplicates(sources, seed=7)
    assert [(d.key, d.text, d.origin, d.rate) for d in a.docs] == [(d.key, d.text, d.origin, d.rate) for d in b.docs]
    assert a.stars == b.stars
    assert [(d.key, d.text) for d in plant_near_duplicates(sources, seed=8).docs] != [(d.key, d.text) for d in a.docs]
    # real files: same roots and seed, same picks; distinct contents only, one per relative path
    files = {"v0/m0.py": 0, "v0/m1.py": 1, "v1/m1.py": 2, "v1/m2.py": 3, "v1/copy.py": 0}  # copy.py: m0's content
    for rel, n in files.items():
        (tmp_path / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / rel).write_text(_source(n, 10))
    roots = [(tmp_path / "src" / "v0", "**/*.py"), (tmp_path / "src" / "v1", "**/*.py")]
    picked = collect_sources(10, seed=1, roots=roots)
    assert picked == collect_sources(10, seed=1, roots=roots)
    # one version of m1.py, and one of m0.py / copy.py (same content): 3 files
    assert len({rel for rel, _ in picked}) == len(picked) == 3
    assert len({text for _, text in picked}) == len(picked)


def test_exact_similar_pairs_match_brute_force(sources):
    from bench.fuzzy_corpus import exact_similar_pairs

    corpus = plant_near_duplicates(sources[:25], seed=2, share=0.6)
    texts = [d.text for d in corpus.docs]
    found = exact_similar_pairs(texts)
    brute = {}
    for i, j in itertools.combinations(range(len(texts)), 2):
        jac = exact_jaccard(set(shingles(texts[i], 5)), set(shingles(texts[j], 5)))
        if jac >= THRESHOLD:
            brute[(i, j)] = jac
    assert found.keys() == brute.keys() and brute
    assert all(abs(found[p] - brute[p]) < 1e-12 for p in brute)


def test_metric_on_hand_made_examples():
    clusters = [[0, 1, 2], [3, 4]]  # true clusters; 5, 6 are unrelated files
    perfect = score({1, 2, 4}, clusters)
    assert perfect["precision"] == perfect["recall"] == perfect["f1"] == 1.0
    other_survivor = score({0, 1, 3}, clusters)  # keeps a different member of each cluster: just as right
    assert other_survivor["precision"] == other_survivor["recall"] == 1.0
    whole_cluster = score({0, 1, 2, 4}, clusters)  # removes the survivor too
    assert whole_cluster["precision"] == 3 / 4 and whole_cluster["recall"] == 1.0
    unrelated = score({1, 2, 4, 5}, clusters)
    assert unrelated["precision"] == 3 / 4 and unrelated["recall"] == 1.0
    only_survivor_of_pair_missed = score({1, 2}, clusters)
    assert only_survivor_of_pair_missed["precision"] == 1.0 and only_survivor_of_pair_missed["recall"] == 2 / 3
    nothing = score(set(), clusters)
    assert nothing["precision"] == 1.0 and nothing["recall"] == 0.0 and nothing["f1"] == 0.0
    assert score(set(), [])["f1"] == 1.0


def test_components_and_removed_by_clusters():
    pairs = [(0, 1), (1, 2), (5, 4)]
    assert components(7, pairs) == [[0, 1, 2], [4, 5]]
    assert removed_by_clusters(7, pairs) == {1, 2, 5}


def test_corpus_writers(sources, tmp_path):
    import json

    corpus = plant_near_duplicates(sources[:10], seed=0, share=0.3)
    dump = write_dump(corpus, tmp_path / "dump")
    assert (dump / "_SUCCESS").exists()
    for repo, stars in corpus.stars.items():
        manifest = json.loads((dump / repo / ".codelake.json").read_text())
        assert manifest["name"] == f"bench/{repo}" and manifest["stars"] == stars
    assert all((dump / d.repo / d.path).read_text() == d.text for d in corpus.docs)
    parts = write_jsonl(corpus, tmp_path / "jsonl")
    rows = [json.loads(line) for p in parts for line in p.read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(d.key for d in corpus.docs)


def test_bench_module_imports_no_peer_library():
    import subprocess

    import bench.fuzzy_dedup as fd

    assert fd._codelake_key("bench/r0001", "a/b.py") == "r0001/a/b.py"
    # in a fresh interpreter: other tests of this session import datatrove (the training branch packs with it)
    probe = "import sys, bench.fuzzy_dedup; print('datatrove' in sys.modules, 'rensa' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.split() == ["False", "False"], result.stderr[-2000:]
