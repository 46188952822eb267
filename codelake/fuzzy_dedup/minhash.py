"""MinHash signatures of texts' shingle sets: uint32 per slot, all slots 0xFFFFFFFF for a text without shingles.

Two methods, never comparable with each other:
  - "permutation": classic MinHash, bit-identical to datasketch 2.0.0 ``MinHash(num_perm, seed)`` (scheme
    'affine32': sha1_hash32 of each shingle's UTF-8, MurmurHash3 fmix32 pre-mix, then ``a*h + b mod 2^32``
    with odd ``a``; ``a``, ``b`` drawn from ``np.random.RandomState(seed)``). O(shingles x num_perm).
  - "oph" (default): one-permutation hashing with optimal densification (Shrivastava 2017). Each shingle's
    64-bit hash (shingles.batch_shingle_hashes, salted by the seed) picks a bin from its high 32 bits and
    competes with its low 32 bits for the bin's minimum. An empty bin i takes the value of the non-empty bin
    j that comes first in a fixed random order of bins for i (priority(i, j), the same for every text), so
    both texts of a pair densify bin i from the same source whenever that source is filled in both.
    O(shingles + num_perm) per text, fused in one pass over the bytes by oph_kernel (numba); the same
    computation step by step in numpy, `reference_oph_signatures`, is what tests compare it with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np

from codelake.fuzzy_dedup.oph_kernel import oph_signatures
from codelake.fuzzy_dedup.shingles import batch_shingle_hashes, encode_batch, shingles
from codelake.hashing import fmix64, splitmix64

EMPTY = np.uint32(0xFFFFFFFF)
METHODS = ("oph", "permutation")
_U64 = np.uint64
_CHUNK_BYTES = 1 << 20  # texts hashed together; bounds temporary memory (~60 bytes per text byte)
_PROBES = 64  # densification rounds answered from the precomputed order before the exact pairwise fallback
_RANK_TABLE_MAX = 4096  # larger num_perm computes priorities instead of looking them up
_SPARSE = 16  # texts with fewer filled bins go straight to the pairwise fallback (cheaper than probing)


def _priority(i: np.ndarray, j: np.ndarray, k: int, salt: int) -> np.ndarray:
    """Total order of source bins j for empty bin i: a 32-bit hash in the high half, j (tie-break) in the low."""
    h = fmix64(i.astype(np.uint64) * _U64(k) + j.astype(np.uint64) + _U64(salt))
    return (h & _U64(0xFFFFFFFF00000000)) | j.astype(np.uint64)


@lru_cache(maxsize=4)
def _order_tables(k: int, salt: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Per bin i, its first _PROBES source bins in priority order, and (k <= _RANK_TABLE_MAX) the rank of every
    source bin j for i as a (k, k) uint16 table, so the fallback is a lookup instead of a hash. Built once per
    process and (k, seed): ~0.3 s and 8 MiB for k = 2048."""
    rounds = min(_PROBES, k)
    order = np.empty((k, rounds), dtype=np.int32)
    rank = np.empty((k, k), dtype=np.uint16) if k <= _RANK_TABLE_MAX else None
    j = np.arange(k)
    for start in range(0, k, 256):  # blocks of rows: all k x k priorities at once would be large
        i = np.arange(start, min(start + 256, k))
        pri = _priority(np.repeat(i, k), np.tile(j, i.size), k, salt).reshape(i.size, k)
        if rank is None:
            part = np.argpartition(pri, rounds - 1, axis=1)[:, :rounds]
            order[i] = np.take_along_axis(part, np.argsort(np.take_along_axis(pri, part, axis=1), axis=1), axis=1)
        else:
            full = np.argsort(pri, axis=1)
            order[i] = full[:, :rounds]
            np.put_along_axis(rank[start : start + i.size], full, np.arange(k, dtype=np.uint16)[None, :], axis=1)
    return order, rank


def _densify(sig: np.ndarray, filled: np.ndarray, salt: int) -> None:
    """Fill every empty bin of rows that have at least one filled bin, in place."""
    n, k = sig.shape
    nfill = filled.sum(axis=1)
    rows = np.flatnonzero((nfill > 0) & (nfill < k))
    if rows.size == 0:
        return
    src_sig, src_fill = sig[rows], filled[rows]
    r, i = np.nonzero(~src_fill)  # empty (row, bin) entries, rows local to `rows`
    dense = nfill[rows][r] >= _SPARSE
    left_r, left_i = [r[~dense]], [i[~dense]]
    r, i = r[dense], i[dense]
    order, rank = _order_tables(k, salt)
    for t in range(order.shape[1]):  # probing: the t-th source in priority order, if it is filled here
        if r.size == 0:
            break
        cand = order[i, t]
        hit = src_fill[r, cand]
        sig[rows[r[hit]], i[hit]] = src_sig[r[hit], cand[hit]]
        r, i = r[~hit], i[~hit]
    left_r.append(r)
    left_i.append(i)
    r, i = np.concatenate(left_r), np.concatenate(left_i)
    if r.size == 0:
        return
    # Exact fallback: the filled bin of minimum priority, over all (empty bin, filled bin) pairs of the row.
    fr, fj = np.nonzero(src_fill)
    row_first = np.searchsorted(fr, np.arange(rows.size))
    per = nfill[rows][r]
    entry = np.repeat(np.arange(r.size), per)
    pair_start = np.zeros(r.size, dtype=np.int64)
    np.cumsum(per[:-1], out=pair_start[1:])
    j = fj[row_first[r][entry] + (np.arange(entry.size) - pair_start[entry])]
    ie = i[entry]
    if rank is not None:
        key = (rank[ie, j].astype(np.uint64) << _U64(32)) | j.astype(np.uint64)
    else:
        key = _priority(ie, j, k, salt)
    best = np.minimum.reduceat(key, pair_start)
    src = (best & _U64(0xFFFFFFFF)).astype(np.intp)
    sig[rows[r], i] = src_sig[r, src]


def _fmix32(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


class MinHasher:
    def __init__(self, num_perm: int, seed: int = 1, method: str = "oph") -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not 1 <= num_perm < 1 << 31:
            raise ValueError(f"num_perm must be a positive int32, got {num_perm}")
        self.num_perm, self.seed, self.method = num_perm, seed, method
        if method == "permutation":  # exactly datasketch's _init_permutations for scheme 'affine32'
            gen = np.random.RandomState(seed)
            self._a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
            self._b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        self._salt = splitmix64(seed)

    def signature(self, text: str, ngram: int) -> np.ndarray | None:
        """(num_perm,) uint32, or None when the text has no shingle."""
        matrix, mask = self.signatures([text], ngram)
        return matrix[0] if mask[0] else None

    def signatures(self, texts: Sequence[str], ngram: int) -> tuple[np.ndarray, np.ndarray]:
        """(len(texts), num_perm) uint32 signatures and the mask of texts that had at least one shingle."""
        if self.method == "oph":
            data, starts = encode_batch(texts)
            return self.signatures_utf8(np.frombuffer(data, dtype=np.uint8), starts, ngram)
        out = np.full((len(texts), self.num_perm), EMPTY, dtype=np.uint32)
        mask = np.zeros(len(texts), dtype=bool)
        for row, text in enumerate(texts):
            mask[row] = self._permutation_row(text, ngram, out[row])
        return out, mask

    def signatures_utf8(self, data: np.ndarray, starts: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
        """OPH signatures of the texts data[starts[d]:starts[d+1]] (UTF-8 bytes, e.g. an Arrow string column's
        buffers, no copy), hashed by the fused kernel (it releases the GIL: threads may share the work)."""
        if self.method != "oph":
            raise ValueError("signatures_utf8 computes one-permutation signatures only")
        return oph_signatures(data, starts, self.num_perm, ngram, self._salt, _order_tables(self.num_perm, self._salt))

    def _permutation_row(self, text: str, ngram: int, out: np.ndarray) -> bool:
        grams = set(shingles(text, ngram))
        if not grams:
            return False
        digests = b"".join(hashlib.sha1(s.encode("utf-8", "surrogatepass")).digest()[:4] for s in grams)
        hv = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
        step = max(1, (1 << 22) // self.num_perm)  # shingles per block: bounds the (block, num_perm) matrix
        for lo in range(0, hv.size, step):
            block = hv[lo : lo + step, None] * self._a + self._b  # wraps mod 2^32, as in datasketch
            np.minimum(out, block.min(axis=0), out=out)
        return True


def reference_oph_signatures(texts: Sequence[str], num_perm: int, ngram: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The same OPH signatures computed step by step with numpy (shingle hashes, bin minimum, densification):
    the reference the fused kernel is tested against."""
    salt = splitmix64(seed)
    out = np.full((len(texts), num_perm), EMPTY, dtype=np.uint32)
    mask = np.zeros(len(texts), dtype=bool)
    for lo, hi in _chunks(texts):
        batch = batch_shingle_hashes(*encode_batch(texts[lo:hi]), ngram, salt=salt)
        h, rows = batch.hashes, out[lo:hi]
        cell = batch.doc * num_perm + ((h >> _U64(32)) * _U64(num_perm) >> _U64(32)).astype(np.intp)  # row-major (doc, bin)
        np.minimum.at(rows.reshape(-1), cell, (h & _U64(0xFFFFFFFF)).astype(np.uint32))
        filled = np.zeros(rows.shape, dtype=bool)
        filled.reshape(-1)[cell] = True
        _densify(rows, filled, salt)
        mask[lo:hi] = np.bincount(batch.doc, minlength=hi - lo) > 0
    return out, mask


def _chunks(texts: Sequence[str]) -> Iterator[tuple[int, int]]:
    """[lo, hi) ranges of texts of about _CHUNK_BYTES characters each (a larger text is a chunk by itself)."""
    lo, size = 0, 0
    for i, text in enumerate(texts):
        size += len(text)
        if size >= _CHUNK_BYTES:
            yield lo, i + 1
            lo, size = i + 1, 0
    if lo < len(texts):
        yield lo, len(texts)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of equal slots of two signatures of the same MinHasher."""
    if a.shape != b.shape:
        raise ValueError(f"signatures differ in shape: {a.shape} vs {b.shape}")
    return float(np.count_nonzero(a == b)) / a.size if a.size else 0.0
