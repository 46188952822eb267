"""The fused numba kernel computes exactly the numpy reference pipeline's one-permutation signatures."""

from __future__ import annotations

import glob
from functools import partial

import numpy as np
import pyarrow as pa
import pytest

from codelake.fuzzy_dedup import minhash as mh
from codelake.fuzzy_dedup.config import FuzzyParams
from codelake.fuzzy_dedup.minhash import MinHasher, reference_oph_signatures
from codelake.fuzzy_dedup.signatures import signature_batch
from codelake.parallel import ordered_map
from codelake.utf8 import utf8_buffers

STDLIB = sorted(glob.glob("/root/.pyenv/versions/3.11.7/lib/python3.11/*.py"))
ODD = ["", " \n\t", "x", "a b", "a.b", "ünïcode 😀 x = '日本語'", "\udcff lone surrogate", "a" * 70_000, "x\0y\x7f z"]


def _corpus() -> list[str]:
    texts = [open(p, encoding="utf-8").read() for p in STDLIB[:: max(1, len(STDLIB) // 60)]]
    return texts + ODD + [t[: len(t) // 3] for t in texts[:10]]


@pytest.mark.parametrize("num_perm", [112, 256, 2048])
@pytest.mark.parametrize("ngram", [1, 3, 5])
def test_kernel_equals_numpy_reference(num_perm, ngram):
    texts = _corpus()
    ours, has = MinHasher(num_perm, seed=7).signatures(texts, ngram)
    ref, ref_has = reference_oph_signatures(texts, num_perm, ngram, seed=7)
    assert np.array_equal(has, ref_has) and has.sum() == len(texts) - 2  # the empty and the blank text
    assert np.array_equal(ours, ref)


def test_kernel_hashed_priority_fallback_equals_reference(monkeypatch):
    """Above the rank-table size the kernel computes priorities itself; with few probes it falls back often."""
    monkeypatch.setattr(mh, "_RANK_TABLE_MAX", 0)
    monkeypatch.setattr(mh, "_PROBES", 2)
    mh._order_tables.cache_clear()
    try:
        texts = [" ".join(f"t{i}" for i in range(n)) for n in (1, 4, 9, 40, 300, 2500)]
        ours, _ = MinHasher(1024, seed=3).signatures(texts, 5)
        ref, _ = reference_oph_signatures(texts, 1024, 5, seed=3)
    finally:
        mh._order_tables.cache_clear()
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("threads", [True, False])
def test_parallel_batches_give_the_same_signatures(threads):
    """signature_batch is the unit of parallel work: on threads (the kernel releases the GIL; the stage's
    way) or in worker processes (Arrow arrays pickle), concurrent batches give what serial ones give."""
    texts = _corpus()
    parts = [texts[i::4] for i in range(4)]
    params = FuzzyParams("t", 256, 32, 8, 5, "oph", 1)
    batches = [((i,), pa.array([t for t in part if "\udcff" not in t])) for i, part in enumerate(parts)]
    serial = [signature_batch(column, params) for _, column in batches]
    threaded = [result for _, result in ordered_map(partial(signature_batch, params=params), iter(batches), 2, threads=threads)]
    for (a_sig, a_mask, a_keys), (b_sig, b_mask, b_keys) in zip(serial, threaded):
        assert np.array_equal(a_sig, b_sig) and np.array_equal(a_mask, b_mask) and np.array_equal(a_keys, b_keys)


def test_utf8_buffers_need_no_separator_between_texts():
    texts = _corpus()
    data = np.frombuffer("".join(texts).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum([len(t.encode("utf-8", "surrogatepass")) for t in texts])])
    assert np.array_equal(MinHasher(256).signatures_utf8(data, starts, 5)[0], MinHasher(256).signatures(texts, 5)[0])


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string()])
def test_signature_batch_reads_arrow_buffers(arrow_type):
    texts = _corpus()[:30] + [t for t in ODD if "\udcff" not in t]  # Arrow strings are valid UTF-8
    column = pa.array(texts[:5] + [None] + texts[5:], arrow_type).slice(3)  # a slice: buffers start before it
    expected_texts = (texts[:5] + [""] + texts[5:])[3:]
    params = FuzzyParams("t", 256, 32, 8, 5, "oph", 1)
    matrix, mask, keys = signature_batch(column, params)
    ref, ref_mask = MinHasher(256, seed=1).signatures(expected_texts, 5)
    assert np.array_equal(matrix, ref) and np.array_equal(mask, ref_mask) and keys.shape == (len(expected_texts), 32)
    data, starts = utf8_buffers(column)
    assert bytes(data[starts[0] : starts[1]]).decode() == expected_texts[0]


def test_permutation_method_batch_uses_datasketch_scheme():
    column = pa.array(["a b c d e f g", "x = 1"])
    params = FuzzyParams("t", 64, 8, 8, 5, "permutation", 1)
    matrix, mask, _ = signature_batch(column, params)
    assert np.array_equal(matrix, MinHasher(64, seed=1, method="permutation").signatures(column.to_pylist(), 5)[0])
    assert mask.all()
