"""LSH candidate pairs equal datasketch's MinHashLSH on the same shingles and parameters."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from codelake.fuzzy_dedup.lsh import band_keys, optimal_bands_rows
from codelake.fuzzy_dedup.minhash import MinHasher
from codelake.fuzzy_dedup.shingles import shingles

STDLIB = sorted(Path("/root/.pyenv/versions").glob("3.1*/lib/python3.1*"))


def corpus() -> list[str]:
    texts = []
    for root in STDLIB[:1]:
        texts = [p.read_text(errors="replace") for p in sorted(root.glob("*.py"))[:40]]
    if not texts:  # no stdlib on this machine: generated code with shared structure
        texts = [f"def f{i}(x):\n    return x + {i}\n" * 30 for i in range(40)]
    rng = random.Random(3)
    variants = []
    for text in texts[:20]:
        lines = text.split("\n")
        for rate in (0.05, 0.2, 0.5):
            variants.append("\n".join(f"# changed {rng.random()}" if rng.random() < rate else line for line in lines))
    return texts + variants


def test_candidate_pairs_equal_datasketch_minhashlsh():
    texts = corpus()
    num_perm = 128
    bands, rows = optimal_bands_rows(0.5, num_perm)
    matrix, mask = MinHasher(num_perm, seed=1, method="permutation").signatures(texts, 5)
    keys = band_keys(matrix, bands, rows)
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for doc in np.flatnonzero(mask):
        for band in range(bands):
            buckets[(band, int(keys[doc, band]))].append(int(doc))
    ours = {pair for members in buckets.values() for pair in itertools.combinations(sorted(members), 2)}

    lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
    sketches = {}
    for doc, text in enumerate(texts):
        grams = shingles(text, 5)
        if not grams:
            continue
        sketch = MinHash(num_perm=num_perm, seed=1)
        sketch.update_batch([g.encode("utf-8") for g in grams])
        assert np.array_equal(sketch.hashvalues.astype(np.uint64), matrix[doc].astype(np.uint64))
        sketches[doc] = sketch
        lsh.insert(doc, sketch)
    theirs = {tuple(sorted((doc, other))) for doc, sketch in sketches.items() for other in lsh.query(sketch) if other != doc}
    assert len(theirs) > 20  # planted variants are found
    assert ours == theirs
