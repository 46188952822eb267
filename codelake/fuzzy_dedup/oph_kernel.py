"""One-permutation MinHash of many texts in one pass over their UTF-8 bytes (numba, no Python per token).

The same signatures as the numpy pipeline (shingles.batch_shingle_hashes -> bin minimum -> minhash._densify),
which stays as the reference in tests; this fuses tokenizing, token hashing, window hashing, binning and
densification per text, so nothing of size "shingles" is ever materialized. It releases the GIL, so
threads of one process, each on its own batch, use every core without pickling texts to workers.

Compiled on first use and cached on disk next to this file (`make install` compiles it once).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

from codelake.fuzzy_dedup import shingles as sh
from codelake.hashing import fmix64_jit

_U64 = np.uint64
_CLASS = sh._CLASS
_POS_MUL = sh._POS_MUL
_P = _U64(sh._P)
_LEN_MUL = sh._LEN_MUL
_COUNT_MUL = _U64(sh._COUNT_MUL)


@njit(cache=True, nogil=True, inline="always")
def _offer(h, salt, k, row, filled):
    """A shingle's final hash competes for its bin's minimum."""
    h = fmix64_jit(h ^ salt)
    b = ((h >> _U64(32)) * _U64(k)) >> _U64(32)
    row[b] = min(row[b], np.uint32(h & _U64(0xFFFFFFFF)))  # no branch: rows start at the maximum
    filled[b] = True


@njit(cache=True, nogil=True)
def _densify_row(row, filled, order, rank, salt):
    """Empty bin i takes the value of the filled bin first in i's priority order (minhash._densify's rule)."""
    k = row.size
    sources = np.flatnonzero(filled)
    for i in range(k):
        if filled[i]:
            continue
        found = -1
        for t in range(order.shape[1]):
            c = order[i, t]
            if filled[c]:
                found = c
                break
        if found < 0:  # none of the first probes is filled: the filled bin of minimum priority
            best = _U64(0xFFFFFFFFFFFFFFFF)
            for j in sources:
                if rank.shape[0] > 0:
                    key = (_U64(rank[i, j]) << _U64(32)) | _U64(j)
                else:
                    p = fmix64_jit(_U64(i) * _U64(k) + _U64(j) + salt)
                    key = (p & _U64(0xFFFFFFFF00000000)) | _U64(j)
                if key < best:
                    best = key
            found = np.int64(best & _U64(0xFFFFFFFF))
        row[i] = row[found]


@njit(cache=True, nogil=True)
def oph_rows(data, starts, lo, hi, ngram, salt, cls, pos_mul, order, rank, out, has):
    """Signatures of texts lo..hi-1 (text d = data[starts[d]:starts[d+1]]) into out[d], has[d] = any shingle."""
    k = out.shape[1]
    ring = np.zeros(ngram, dtype=np.uint64)
    filled = np.zeros(k, dtype=np.bool_)
    full_tail = _U64(ngram) * _COUNT_MUL
    for d in range(lo, hi):
        row = out[d]
        row[:] = np.uint32(0xFFFFFFFF)
        filled[:] = False
        count = 0
        i, end = starts[d], starts[d + 1]
        while i < end:
            c = cls[data[i]]
            if c == 0:
                i += 1
                continue
            # One token: a run of word bytes, or one punctuation byte.
            s = i
            h = _U64(0)
            pw = _U64(1)
            if c == 1:
                while i < end and cls[data[i]] == 1:
                    h += _U64(data[i]) * pw
                    pw *= _P
                    i += 1
            else:
                h = _U64(data[i])
                i += 1
            # The last `ngram` token hashes, oldest first (shifted: no division in the loop).
            for m in range(ngram - 1):
                ring[m] = ring[m + 1]
            ring[ngram - 1] = fmix64_jit(h + _U64(i - s) * _LEN_MUL)
            count += 1
            if count >= ngram:
                acc = _U64(0)
                for m in range(ngram):
                    acc += ring[m] * pos_mul[m]
                _offer(acc + full_tail, salt, k, row, filled)
        if 0 < count < ngram:  # fewer tokens than the n-gram: one shingle of all of them
            acc = _U64(0)
            for m in range(count):
                acc += ring[ngram - count + m] * pos_mul[m]
            _offer(acc + _U64(count) * _COUNT_MUL, salt, k, row, filled)
        has[d] = count > 0
        if count == 0:
            continue
        nfill = 0
        for b in range(k):
            if filled[b]:
                nfill += 1
        if nfill < k:
            _densify_row(row, filled, order, rank, salt)


def oph_signatures(
    data: np.ndarray,
    starts: np.ndarray,
    num_perm: int,
    ngram: int,
    salt: int,
    tables: tuple[np.ndarray, np.ndarray | None],
) -> tuple[np.ndarray, np.ndarray]:
    """(n, num_perm) uint32 signatures and has-shingles mask of the n texts data[starts[d]:starts[d+1]]."""
    n = starts.size - 1
    out = np.empty((n, num_perm), dtype=np.uint32)
    has = np.zeros(n, dtype=np.bool_)
    order, rank = tables
    rank = rank if rank is not None else np.zeros((0, 0), dtype=np.uint16)
    if ngram < 1 or ngram > _POS_MUL.size:
        raise ValueError(f"ngram must be in 1..{_POS_MUL.size}, got {ngram}")
    oph_rows(data, starts.astype(np.int64, copy=False), 0, n, ngram, _U64(salt), _CLASS, _POS_MUL, order, rank, out, has)
    return out, has



def compile_kernel() -> float:
    """Compile (or load from the on-disk cache) the kernel now; returns the seconds it took."""
    import time

    started = time.perf_counter()
    oph_signatures(np.frombuffer(b"compile me", np.uint8), np.array([0, 10]), 16, 5, 1, (np.zeros((16, 1), np.int32), None))
    return time.perf_counter() - started


def load_kernel_in_background() -> None:
    """Start loading the kernel on a thread of its own: even from numba's disk cache that initializes LLVM
    (~0.3-0.7 s), which can overlap with opening the lake and the first read instead of delaying them. A
    call to the kernel meanwhile waits for the load (numba's compiler lock) and raises what it raised."""
    threading.Thread(target=compile_kernel, name="codelake-numba-load", daemon=True).start()
