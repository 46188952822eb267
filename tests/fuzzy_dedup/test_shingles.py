"""Tokens, shingles and their vectorized hashes (equal shingle sets <=> equal hash sets)."""

from __future__ import annotations

import glob

import numpy as np
import pytest

from codelake.fuzzy_dedup.shingles import batch_shingle_hashes, encode_batch, shingle_hashes, shingles, tokenize

STDLIB = sorted(glob.glob("/root/.pyenv/versions/3.11.7/lib/python3.11/*.py"))


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_tokenize_is_code_aware():
    assert tokenize("def f(x_1):\n  return x_1+2") == ["def", "f", "(", "x_1", ")", ":", "return", "x_1", "+", "2"]
    assert tokenize("a+b") == tokenize("a +  b")  # formatting does not change tokens
    assert tokenize("naïve = 变量 + 🎉") == ["naïve", "=", "变量", "+", "🎉"]
    assert tokenize("  \t\n") == [] and tokenize("") == []


def test_shingles_windows_short_and_empty():
    assert shingles("a b c d e f", 5) == ["a b c d e", "b c d e f"]
    assert shingles("x = 1", 5) == ["x = 1"]  # fewer tokens than the n-gram: one shingle of all of them
    assert shingles(" \n\t ", 5) == [] and shingles("", 5) == []
    assert shingle_hashes("", 5).size == 0 and shingle_hashes("   \n", 5).size == 0


@pytest.mark.parametrize("path", STDLIB[:40:4])
def test_hashes_match_shingle_strings(path):
    text = _read(path)
    hashes = shingle_hashes(text, 5)
    grams = set(shingles(text, 5))
    assert hashes.dtype == np.uint64 and hashes.size == len(grams)  # unique, and no collision
    # Each shingle hashed on its own (its text re-tokenizes to the same window) gives a member of the set.
    assert {int(shingle_hashes(g, 5)[0]) for g in grams} == set(hashes.tolist())


def test_equal_shingle_sets_equal_hashes_and_position_independence():
    a = "x = foo(bar, baz) + 1\n" * 3
    b = "x=foo( bar,baz )+1 " * 3  # other whitespace, same tokens
    assert np.array_equal(shingle_hashes(a, 5), shingle_hashes(b, 5))
    assert not np.array_equal(shingle_hashes(a, 5), shingle_hashes(a.replace("baz", "qux"), 5))
    # In a batch, a text's hashes do not depend on its neighbours.
    texts = ["alpha beta", a, "", "ü", b, "1 2 3 4 5 6 7"]
    batch = batch_shingle_hashes(*encode_batch(texts), 5)
    for i, text in enumerate(texts):
        assert np.array_equal(np.unique(batch.hashes[batch.doc == i]), shingle_hashes(text, 5))


def test_short_text_shingle_differs_from_window():
    assert shingle_hashes("a b c", 5)[0] not in shingle_hashes("a b c d e", 5)
    assert shingle_hashes("a b", 3).size == 1 and shingle_hashes("a", 3).size == 1


def test_unicode_and_surrogates():
    text = "def größe(): return '日本語のテキスト' + \"😀😀\" # ñ\n" * 4
    grams = set(shingles(text, 5))
    assert shingle_hashes(text, 5).size == len(grams) > 0
    assert shingle_hashes("bad \udcff surrogate here ok !", 5).size == 2  # lone surrogates (surrogateescape) do not fail


def test_huge_text():
    text = "".join(_read(p) for p in STDLIB[:60])
    text = (text * (5_000_000 // len(text) + 1))[:5_000_000]  # ~5 MB, past the cached power tables
    hashes = shingle_hashes(text, 5)
    assert hashes.size == len(set(shingles(text, 5)))
