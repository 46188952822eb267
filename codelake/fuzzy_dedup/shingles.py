"""Code-aware tokens, n-gram shingles and their 64-bit hashes, vectorized over whole batches of texts.

Tokens (the same rule in `tokenize` and in the byte-level hashing below, so both see the same shingles):
  - a *word* is a maximal run of ASCII letters, digits, '_' or any non-ASCII character (so Unicode
    identifiers, CJK runs and emoji stay whole; non-ASCII punctuation and spaces glue to their neighbours,
    which is rare in code and keeps the rule a pure byte classification of UTF-8);
  - every printable ASCII punctuation character (``!"#...~`` minus '_') is a token of its own, so
    ``a+b`` and ``a + b`` give the same tokens: formatting-only edits do not change shingles;
  - ASCII whitespace and control characters only separate tokens.
A shingle is ``' '.join`` of `ngram` consecutive tokens; a text with 1..ngram-1 tokens gives one shingle of
all of them (tiny files still get a signature), a text without tokens gives none.

Hashing never goes through Python per token: the UTF-8 bytes of many texts are classified with a lookup
table, token boundaries found with numpy, each token hashed by a polynomial prefix sum (mod 2^64,
position-normalized so equal tokens hash equally anywhere), windows combined with per-position odd
multipliers and finished with the MurmurHash3 64-bit finalizer. Deterministic across processes (no `hash()`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from codelake.hashing import fmix64, splitmix64


_TOKEN = re.compile(r"[0-9A-Za-z_\u0080-\U0010FFFF]+|[!-/:-@\[-\^`{-~]")

# Byte classes of UTF-8: 0 separator, 1 word byte, 2 punctuation (a token by itself).
_CLASS = np.zeros(256, dtype=np.uint8)
for _c in range(256):
    if _c >= 0x80 or chr(_c).isalnum() or _c == 0x5F:
        _CLASS[_c] = 1
    elif 0x21 <= _c <= 0x7E:
        _CLASS[_c] = 2

_U64 = np.uint64
_P = 0x100000001B3 * 0x9E3779B97F4A7C15 % (1 << 64) | 1  # odd base of the byte polynomial
_P_INV = pow(_P, -1, 1 << 64)
_LEN_MUL = _U64(0xD6E8FEB86659FD93)
# Random odd multipliers of a window's token positions (fixed: they define the shingle hash). They must not
# be structured: with k-proportional multipliers, palindromic windows like `' " , " '` and `" ' , ' "` collide.
_POS_MUL = np.array([splitmix64(0xC0DE + k) | 1 for k in range(64)], dtype=np.uint64)
_COUNT_MUL = 0xA0761D6478BD642F

_POW_CACHE = 1 << 21  # powers are cached for chunks up to 2 MiB (32 MiB of tables); larger ones compute them
_pow: np.ndarray | None = None
_pow_inv: np.ndarray | None = None


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(text: str, ngram: int) -> list[str]:
    tokens = tokenize(text)
    if not tokens:
        return []
    if len(tokens) < ngram:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)]


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """P^i and P^-i mod 2^64 for i < size (cumprod wraps modulo 2^64, which is the intended arithmetic)."""
    global _pow, _pow_inv
    if size > _POW_CACHE:
        return _geometric(_P, size), _geometric(_P_INV, size)
    if _pow is None:
        _pow, _pow_inv = _geometric(_P, _POW_CACHE), _geometric(_P_INV, _POW_CACHE)
    return _pow[:size], _pow_inv[:size]


def _geometric(base: int, size: int) -> np.ndarray:
    out = np.full(size, base, dtype=np.uint64)
    out[0] = 1
    return np.multiply.accumulate(out, out=out)


@dataclass
class ShingleBatch:
    """Shingle hashes of a batch of texts: `hashes[i]` belongs to text `doc[i]` (ascending, duplicates kept)."""

    hashes: np.ndarray  # uint64
    doc: np.ndarray  # intp, non-decreasing
    count: int  # number of texts


def encode_batch(texts: Sequence[str]) -> tuple[bytes, np.ndarray]:
    """UTF-8 of the texts joined by a separator byte, and each text's start offset (+ the end)."""
    parts = [t.encode("utf-8", "surrogatepass") for t in texts]
    starts = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) + 1 for p in parts], out=starts[1:])
    return b"\n".join(parts) + b"\n", starts


def batch_shingle_hashes(data: bytes, starts: np.ndarray, ngram: int, salt: int = 0) -> ShingleBatch:
    """Hashes of every shingle of the texts in `data` (as built by `encode_batch`); `salt` seeds the final mix."""
    if not 1 <= ngram <= len(_POS_MUL):
        raise ValueError(f"ngram must be in 1..{len(_POS_MUL)}, got {ngram}")
    n_docs = len(starts) - 1
    raw = np.frombuffer(data, dtype=np.uint8)
    cls = _CLASS[raw]
    word = cls == 1
    punct = cls == 2
    prev_word = np.zeros_like(word)
    prev_word[1:] = word[:-1]
    next_word = np.zeros_like(word)
    next_word[:-1] = word[1:]
    tok_start = np.flatnonzero((word & ~prev_word) | punct)
    tok_end = np.flatnonzero((word & ~next_word) | punct) + 1
    empty = ShingleBatch(np.zeros(0, np.uint64), np.zeros(0, np.intp), n_docs)
    if tok_start.size == 0:
        return empty

    # Token hash: sum_j byte_j * P^(j - start) over the token's bytes, via prefix sums over the whole batch.
    pw, pw_inv = _powers(raw.size)
    prefix = np.zeros(raw.size + 1, dtype=np.uint64)
    np.cumsum(pw * raw, out=prefix[1:])
    th = (prefix[tok_end] - prefix[tok_start]) * pw_inv[tok_start]
    th += (tok_end - tok_start).astype(np.uint64) * _LEN_MUL
    th = fmix64(th)

    tok_doc = np.searchsorted(starts, tok_start, side="right") - 1
    per_doc = np.bincount(tok_doc, minlength=n_docs)
    first = np.zeros(n_docs, dtype=np.int64)
    np.cumsum(per_doc[:-1], out=first[1:])

    # Full windows: window j covers tokens j..j+ngram-1, valid when they all lie in one text.
    n_win = th.size - ngram + 1
    parts_h, parts_d = [], []
    if n_win > 0:
        valid = tok_doc[: n_win] == tok_doc[ngram - 1 :]
        acc = th[:n_win] * _POS_MUL[0]
        for k in range(1, ngram):
            acc += th[k : k + n_win] * _POS_MUL[k]
        parts_h.append(acc[valid] + _U64(ngram * _COUNT_MUL % (1 << 64)))
        parts_d.append(tok_doc[:n_win][valid])
    # Texts with 1..ngram-1 tokens: one shingle of all their tokens (the count keeps it apart from full windows).
    short = np.flatnonzero((per_doc > 0) & (per_doc < ngram))
    if short.size:
        cnt = per_doc[short]
        acc = np.zeros(short.size, dtype=np.uint64)
        for k in range(int(cnt.max())):
            has = cnt > k
            acc[has] += th[first[short[has]] + k] * _POS_MUL[k]
        parts_h.append(acc + cnt.astype(np.uint64) * _U64(_COUNT_MUL))
        parts_d.append(short)
    if not parts_h:
        return empty
    hashes = np.concatenate(parts_h)
    doc = np.concatenate(parts_d).astype(np.intp)
    if len(parts_h) > 1:  # keep shingles grouped by text
        order = np.argsort(doc, kind="stable")
        hashes, doc = hashes[order], doc[order]
    if salt:
        hashes ^= _U64(salt)
    return ShingleBatch(fmix64(hashes), doc, n_docs)


def shingle_hashes(text: str, ngram: int) -> np.ndarray:
    """Sorted unique uint64 hashes of `shingles(text, ngram)` (equal shingle sets give equal arrays)."""
    data, starts = encode_batch([text])
    return np.unique(batch_shingle_hashes(data, starts, ngram).hashes)
