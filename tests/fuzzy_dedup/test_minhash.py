"""MinHash signatures: 'permutation' is datasketch's bit for bit; 'oph' estimates Jaccard as well, much faster."""

from __future__ import annotations

import glob
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from codelake.fuzzy_dedup import minhash as mh
from codelake.fuzzy_dedup.minhash import MinHasher, estimated_jaccard
from codelake.fuzzy_dedup.shingles import shingles, tokenize

STDLIB = sorted(glob.glob("/root/.pyenv/versions/3.11.7/lib/python3.11/*.py"))
ROOT = Path(__file__).resolve().parents[2]


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _texts(min_chars: int, max_chars: int, count: int) -> list[str]:
    out = [t for t in map(_read, STDLIB) if min_chars <= len(t) <= max_chars]
    return out[:: max(1, len(out) // count)][:count]


def _edit(text: str, rate: float, rng: random.Random) -> str:
    """Replace a fraction `rate` of the tokens by random words (planted near-duplicate)."""
    tokens = tokenize(text)
    for i in rng.sample(range(len(tokens)), int(rate * len(tokens))):
        tokens[i] = f"w{rng.randrange(10**9)}"
    return " ".join(tokens)


def _jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a, 5)), set(shingles(b, 5))
    return len(x & y) / len(x | y)


@pytest.mark.parametrize("num_perm", [128, 2048])
def test_permutation_identical_to_datasketch(num_perm):
    hasher = MinHasher(num_perm, seed=1, method="permutation")
    for text in _texts(500, 60_000, 5) + ["x = 1", "naïve = '变量' + 🎉 " * 3]:
        ref = MinHash(num_perm=num_perm, seed=1)
        ref.update_batch([s.encode() for s in shingles(text, 5)])
        sig = hasher.signature(text, 5)
        assert sig.dtype == np.uint32 and np.array_equal(sig, ref.hashvalues)
    other = MinHash(num_perm=num_perm, seed=7)
    other.update_batch([s.encode() for s in shingles("a b c d e f", 5)])
    assert np.array_equal(MinHasher(num_perm, seed=7, method="permutation").signature("a b c d e f", 5), other.hashvalues)


@pytest.mark.parametrize("method", ["oph", "permutation"])
def test_empty_tiny_and_identical(method):
    hasher = MinHasher(128, method=method)
    assert hasher.signature("", 5) is None and hasher.signature(" \n\t ", 5) is None
    matrix, mask = hasher.signatures(["", "x = 1", "  ", "x = 1", "y"], 5)
    assert matrix.shape == (5, 128) and matrix.dtype == np.uint32
    assert mask.tolist() == [False, True, False, True, True]
    assert (matrix[0] == mh.EMPTY).all() and np.array_equal(matrix[1], matrix[3])
    assert estimated_jaccard(matrix[1], matrix[4]) < 0.2
    assert estimated_jaccard(matrix[1], matrix[3]) == 1.0


def test_oph_batch_equals_single_and_unicode():
    hasher = MinHasher(2048)
    texts = _texts(0, 200_000, 30) + ["def größe(): return '日本語' + \"😀\"", "\udcff x"]
    matrix, mask = hasher.signatures(texts, 5)
    for i in (0, 7, 29, 30, 31):
        single = hasher.signature(texts[i], 5)
        assert (single is None and not mask[i]) or np.array_equal(single, matrix[i])
    assert mask[30] and (matrix[30] != mh.EMPTY).all()  # a 1-shingle text still fills every slot (densified)


def test_oph_densification_paths_agree(monkeypatch):
    """Probing, the rank-table fallback and the hashed-priority fallback all pick the same source bin."""
    texts = [" ".join(f"t{i}" for i in range(n)) for n in (1, 3, 9, 40, 200, 900, 3000)]
    reference, _ = MinHasher(2048).signatures(texts, 5)
    monkeypatch.setattr(mh, "_RANK_TABLE_MAX", 0)
    monkeypatch.setattr(mh, "_PROBES", 3)
    mh._order_tables.cache_clear()
    try:
        again, _ = MinHasher(2048).signatures(texts, 5)
    finally:
        mh._order_tables.cache_clear()
    assert np.array_equal(reference, again)


@pytest.mark.parametrize("num_perm,tolerance", [(128, 0.15), (2048, 0.05)])
def test_oph_estimates_jaccard(num_perm, tolerance):
    rng = random.Random(num_perm)
    oph, perm = MinHasher(num_perm, seed=3), MinHasher(num_perm, seed=3, method="permutation")
    errors_oph, errors_perm = [], []
    for text in _texts(800, 30_000, 12):
        for rate in (0.0, 0.01, 0.05, 0.15, 0.4):
            edited = _edit(text, rate, rng)
            exact = _jaccard(text, edited)
            (a, b), _ = oph.signatures([text, edited], 5)
            est = estimated_jaccard(a, b)
            assert abs(est - exact) <= tolerance, (rate, exact, est)
            errors_oph.append(abs(est - exact))
            errors_perm.append(abs(estimated_jaccard(perm.signature(text, 5), perm.signature(edited, 5)) - exact))
    # As good as datasketch's classic MinHash on the same pairs (mean absolute error, with slack for noise).
    assert np.mean(errors_oph) <= 1.5 * np.mean(errors_perm) + 0.005, (np.mean(errors_oph), np.mean(errors_perm))


def test_oph_unrelated_texts_estimate_low():
    texts = _texts(2000, 40_000, 10)
    matrix, _ = MinHasher(2048).signatures(texts, 5)
    for i in range(len(texts) - 1):
        assert estimated_jaccard(matrix[i], matrix[i + 1]) <= _jaccard(texts[i], texts[i + 1]) + 0.05


def test_huge_text():
    text = "".join(_read(p) for p in STDLIB[:60])
    text = (text * (5_000_000 // len(text) + 1))[:5_000_000]
    hasher = MinHasher(2048)
    sig = hasher.signature(text, 5)
    assert sig is not None and np.array_equal(sig, hasher.signatures(["", text], 5)[0][1])


def test_deterministic_across_processes():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from codelake.fuzzy_dedup.minhash import MinHasher;"
        "from codelake.fuzzy_dedup.lsh import band_keys;"
        "m, _ = MinHasher(256, seed=5).signatures([open(sys.argv[2]).read(), 'ünïcode 😀 x'], 5);"
        "print(m.tobytes().hex()[:4000], band_keys(m, 16, 16).tobytes().hex())"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code, str(ROOT), STDLIB[0]], env=env, capture_output=True, text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
    ours, _ = MinHasher(256, seed=5).signatures([_read(STDLIB[0]), "ünïcode 😀 x"], 5)
    assert outputs.pop().startswith(ours.tobytes().hex()[:4000])


def test_seed_and_method_validation():
    a = MinHasher(128, seed=1).signature("some text with a few tokens in it", 5)
    b = MinHasher(128, seed=2).signature("some text with a few tokens in it", 5)
    assert estimated_jaccard(a, b) < 0.1
    with pytest.raises(ValueError):
        MinHasher(128, method="bogus")
    with pytest.raises(ValueError):
        estimated_jaccard(a, b[:64])
