"""The fast n-gram scan over texts' UTF-8 bytes (straight from Arrow buffers), in numba.

One pass per text: each word is hashed as it is read (a rotate-xor over its bytes, ASCII lower-cased
through a 256-entry class table that also says which bytes separate words, then one odd multiply:
the rolling polynomial's products carry every bit upward into the key's top bits, which index the
table); an n-gram's key is a rolling polynomial of its n word hashes (O(1) per word). A 32 KB bitmap
rejects most keys with one L1 load; the rest are looked up in an open-addressing table of the
benchmarks' keys. The scan reports each text's first hit as the byte
span of its n-gram; the caller confirms it on the words themselves, so a 64-bit collision can never
invent a match (and never hides one: equal n-grams always have equal keys).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

_WORD_SEED = np.uint64(0xCBF29CE484222325)
_ROLL = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling polynomial
_WORD_MIX = np.uint64(0xFF51AFD7ED558CCD)


@njit(cache=True, nogil=True)
def _roll_power(n):
    power = np.uint64(1)
    for _ in range(n - 1):
        power = power * _ROLL
    return power


def _byte_classes() -> np.ndarray:
    """0 for a byte that separates words, else the byte ASCII-lower-cased (never 0 for a word byte)."""
    table = np.zeros(256, np.uint64)
    for b in range(256):
        if chr(b).isascii() and (chr(b).isalnum() or b == 95):
            table[b] = ord(chr(b).lower())
        elif b >= 128:
            table[b] = b
    return table


BYTE_CLASSES = _byte_classes()
FILTER_BITS = 18  # the prefilter: 2^18 bits (32 KB, in L1) answer "surely not a benchmark n-gram" for most n-grams


@njit(cache=True, nogil=True)
def _scan_text(data, lo, hi, n, power, ring_hash, ring_start, table, shift, bits, keys_out, span, first_only, classes):
    """Walk data[lo:hi] word by word. With `first_only`, stop at the first n-gram whose key is in `table`
    (span = its bytes; returns 1); else write every n-gram key to keys_out and return how many."""
    count = 0
    written = 0
    slot = 0  # ring slot of the next word (count % n without a division per word)
    rolling = np.uint64(0)
    i = lo
    while i < hi:
        c = classes[data[i]]
        if c == 0:
            i += 1
            continue
        start = i
        word = _WORD_SEED
        while c != 0:
            word = ((word << np.uint64(7)) | (word >> np.uint64(57))) ^ c
            i += 1
            if i >= hi:
                break
            c = classes[data[i]]
        word = (word ^ np.uint64(i - start)) * _WORD_MIX
        if count >= n:
            rolling = rolling - ring_hash[slot] * power
        rolling = rolling * _ROLL + word
        ring_hash[slot] = word
        ring_start[slot] = start
        count += 1
        slot += 1
        if slot == n:
            slot = 0
        if count < n:
            continue
        # the key is the rolling value itself: its high bits mix every word's hash (products carry upward)
        key = rolling | np.uint64(1)
        if first_only:
            top = key >> np.uint64(64 - FILTER_BITS)
            if (bits[top >> np.uint64(6)] >> (top & np.uint64(63))) & np.uint64(1) == 0:
                continue
            probe = key >> shift
            size_mask = np.uint64(table.shape[0] - 1)
            while table[probe] != 0:
                if table[probe] == key:
                    span[0] = ring_start[slot]  # the n-gram's oldest word: the slot written next
                    span[1] = i
                    return 1
                probe = (probe + np.uint64(1)) & size_mask
        else:
            keys_out[written] = key
            written += 1
    return 0 if first_only else written


@njit(cache=True, nogil=True)
def ngram_keys(data, n, classes):
    """Every n-gram key of one text, in order."""
    keys = np.empty(data.shape[0] // 2 + 1, np.uint64)
    written = _scan_text(data, 0, data.shape[0], n, _roll_power(n), np.zeros(n, np.uint64), np.zeros(n, np.int64),
                         np.zeros(1, np.uint64), np.uint64(0), np.zeros(1, np.uint64), keys, np.zeros(2, np.int64), False, classes)
    return keys[:written]


@njit(cache=True, nogil=True)
def first_hits(data, starts, n, table, shift, bits, classes):
    """For each text d (data[starts[d]:starts[d+1]]): the byte span of its first n-gram whose key is in
    `table`, as spans[d] = (start, end); (-1, -1) when none."""
    texts = starts.shape[0] - 1
    spans = np.full((texts, 2), -1, np.int64)
    ring_hash = np.zeros(n, np.uint64)
    ring_start = np.zeros(n, np.int64)
    span = np.zeros(2, np.int64)
    power = _roll_power(n)
    for d in range(texts):
        if _scan_text(data, starts[d], starts[d + 1], n, power, ring_hash, ring_start, table, shift, bits, ring_hash, span, True, classes):
            spans[d, 0] = span[0]
            spans[d, 1] = span[1]
    return spans


@dataclass(frozen=True)
class KeyTable:
    """The benchmarks' n-gram keys: an open-addressing table (load <= 1/4, 0 = empty, indexed by the key's
    top bits) and the prefilter bitmap."""

    table: np.ndarray
    shift: np.uint64
    bits: np.ndarray

    @classmethod
    def build(cls, keys: np.ndarray) -> KeyTable:
        unique = np.unique(keys)
        size_bits = max(4, int(len(unique) * 4).bit_length())
        table = np.zeros(1 << size_bits, np.uint64)
        bits = np.zeros((1 << FILTER_BITS) // 64, np.uint64)
        _fill(table, np.uint64(64 - size_bits), bits, unique)
        return cls(table, np.uint64(64 - size_bits), bits)

    def first_hits(self, data: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
        return first_hits(data, starts, n, self.table, self.shift, self.bits, BYTE_CLASSES)


@njit(cache=True, nogil=True)
def _fill(table, shift, bits, keys):
    size_mask = np.uint64(table.shape[0] - 1)
    for key in keys:
        top = key >> np.uint64(64 - FILTER_BITS)
        bits[top >> np.uint64(6)] |= np.uint64(1) << (top & np.uint64(63))
        probe = key >> shift
        while table[probe] != 0 and table[probe] != key:
            probe = (probe + np.uint64(1)) & size_mask
        table[probe] = key
