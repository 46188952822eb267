"""Per-character and per-word filter signals in one pass over each file's UTF-8 bytes (numba).

Regex character classes and exploded word frames cost Polars a match or a row per character or word;
these kernels walk the bytes once instead. Non-ASCII characters are classified by Python's own `str`
methods (the reference's definitions, not the regex engine's Unicode tables), computed once per
distinct code point seen and kept in a table. The kernels release the GIL.

Compiled on first use and cached on disk next to this file.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl
from numba import njit

from codelake.filtered import patterns as P
from codelake.hashing import fmix64_jit
from codelake.utf8 import utf8_buffers as arrow_utf8_buffers

# Character classes, one bit each, of a code point's entry in the class table.
WS = 1  # patterns.WS_CHARS
WORD = 2  # Python re's \w: str.isalnum() or "_"
DECIMAL = 4  # str.isdecimal()
ALPHA = 8  # str.isalpha()
UPPER = 16  # str.isupper() of the character alone
LOWER_OR_TITLE = 32  # str.islower(), or titlecase (Lt): either makes a word not all-caps
KNOWN = 128

_CLASSES = np.zeros(0x110000, dtype=np.uint8)


def _class_of(ch: str) -> int:
    return KNOWN | (
        (WS if ch in P.WS_CHARS else 0)
        | (WORD if ch.isalnum() or ch == "_" else 0)
        | (DECIMAL if ch.isdecimal() else 0)
        | (ALPHA if ch.isalpha() else 0)
        | (UPPER if ch.isupper() else 0)
        | (LOWER_OR_TITLE if ch.islower() or unicodedata.category(ch) == "Lt" else 0)
    )


_CLASSES[:128] = [_class_of(chr(c)) for c in range(128)]

_U64 = np.uint64
_FNV_OFFSET = _U64(0xCBF29CE484222325)
_FNV_PRIME = _U64(0x100000001B3)
_GRAM_MUL = _U64(0x9E3779B97F4A7C15)
_SLOT_MUL = _U64(0xC2B2AE3D27D4EB4F)
ASCII_PUNCT = np.array([0x21 <= c <= 0x2F or 0x3A <= c <= 0x40 or 0x5B <= c <= 0x60 or 0x7B <= c <= 0x7E for c in range(128)])
_BRACKETS = (0x3010, 0x3011)  # 【 】


def utf8_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets) of a Polars string column as NumPy views of its Arrow buffers; nulls read as empty."""
    return arrow_utf8_buffers(texts.rechunk().to_arrow(compat_level=pl.CompatLevel.oldest()))


@njit(cache=True, nogil=True, inline="always")
def _decode(data, i):
    """(code point, byte width) of the UTF-8 character starting at data[i] (valid UTF-8 assumed)."""
    b = np.int64(data[i])
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((np.int64(data[i + 1]) & 0x3F) << 6) | (np.int64(data[i + 2]) & 0x3F), 3
    return (
        ((b & 0x07) << 18) | ((np.int64(data[i + 1]) & 0x3F) << 12) | ((np.int64(data[i + 2]) & 0x3F) << 6) | (np.int64(data[i + 3]) & 0x3F),
        4,
    )


@njit(cache=True, nogil=True)
def _unclassified(data, classes):
    """Which code points occur in `data` without an entry in `classes` yet."""
    seen = np.zeros(classes.size, dtype=np.bool_)
    i = 0
    while i < data.size:
        if data[i] < 0x80:
            i += 1
            continue
        cp, width = _decode(data, i)
        if classes[cp] == 0:
            seen[cp] = True
        i += width
    return np.flatnonzero(seen)


def character_classes(data: np.ndarray) -> np.ndarray:
    """The class table, completed for every code point in `data`."""
    for cp in _unclassified(data, _CLASSES):
        _CLASSES[cp] = _class_of(chr(cp))
    return _CLASSES


def classified() -> np.ndarray:
    """The class table as completed so far: for bytes made of characters character_classes has seen
    (a part of a text it classified, a normalized text from nfkc_lower_buffers) without another scan."""
    return _CLASSES


# One-byte ASCII stand-ins for non-ASCII characters (ascii_stand_ins), 0 where not known yet.
_STAND_INS = np.zeros(0x110000, dtype=np.uint8)
_STAND_IN_SPACE, _STAND_IN_WORD, _STAND_IN_OTHER = 0x0B, 0x5F, 0x21  # vertical tab, "_", "!"


def regex_stand_ins(data: np.ndarray) -> np.ndarray:
    """The stand-in table, completed for every code point in `data`: a non-ASCII character becomes
    what the Rust regex engine sees of it through `\\b`, `\\w` and patterns.WS: whitespace -> \\x0b
    (in WS, outside `[ \\t]`-style classes and `\\n`), a word character (the engine's own Unicode `\\w`,
    asked of it) -> "_", anything else -> "!"."""
    cps = _unclassified(data, _STAND_INS)
    if cps.size:
        chars = [chr(cp) for cp in cps.tolist()]
        word = pl.Series(chars, dtype=pl.String).str.contains(r"^\w$").to_numpy()
        for cp, ch, is_word in zip(cps.tolist(), chars, word.tolist()):
            _STAND_INS[cp] = _STAND_IN_SPACE if ch in P.WS_CHARS else (_STAND_IN_WORD if is_word else _STAND_IN_OTHER)
    return _STAND_INS


@njit(cache=True, nogil=True)
def ascii_stand_ins(data, offsets, stand_ins):
    """Each text with every non-ASCII character replaced by its one-byte stand-in (regex_stand_ins):
    (bytes, offsets), one byte per character. A pattern that sees non-ASCII characters only through
    `\\b`, `\\w`, patterns.WS and classes that name neither "_", "!" nor \\x0b (patterns.ENCODED)
    matches the same spans, in characters, in both; on ASCII the engine's fast DFA runs where a
    Unicode `\\b` on non-ASCII text falls back to its slowest engine (12x here)."""
    out = np.empty(data.size, dtype=np.uint8)
    out_offsets = np.zeros(offsets.size, dtype=np.int64)
    j = 0
    for d in range(offsets.size - 1):
        i, end = offsets[d], offsets[d + 1]
        while i < end:
            b = data[i]
            if b < 0x80:
                out[j] = b
                i += 1
            else:
                cp, width = _decode(data, i)
                out[j] = stand_ins[cp]
                i += width
            j += 1
        out_offsets[d + 1] = j
    return out[:j], out_offsets


# Columns of char_counts' result.
CHARS, WHITESPACE, DECIMALS, LETTERS, REPLACEMENTS, CURLY, LINES, LINE_MAX = range(8)


@njit(cache=True, nogil=True)
def char_counts(data, offsets, classes):
    """Per text: characters, whitespace, decimals, letters, U+FFFD, curly brackets, lines (a trailing
    newline ends the last line) and the longest line in characters counting its newline."""
    out = np.zeros((offsets.size - 1, 8), dtype=np.int64)
    for d in range(offsets.size - 1):
        i, end = offsets[d], offsets[d + 1]
        chars = ws = dec = alpha = repl = curly = newlines = 0
        line = line_max = 0
        cp = 0
        while i < end:
            cp, width = _decode(data, i)
            i += width
            chars += 1
            c = classes[cp]
            ws += (c & WS) != 0
            dec += (c & DECIMAL) != 0
            alpha += (c & ALPHA) != 0
            line += 1
            if cp == 10:
                newlines += 1
                line_max = max(line_max, line)
                line = 0
            elif cp == 0xFFFD:
                repl += 1
            elif cp == 123 or cp == 125:
                curly += 1
        line_max = max(line_max, line)
        out[d, CHARS] = chars
        out[d, WHITESPACE] = ws
        out[d, DECIMALS] = dec
        out[d, LETTERS] = alpha
        out[d, REPLACEMENTS] = repl
        out[d, CURLY] = curly
        out[d, LINES] = newlines + (1 if chars > 0 and cp != 10 else 0)
        out[d, LINE_MAX] = line_max
    return out


@njit(cache=True, nogil=True)
def raw_word_counts(data, offsets, classes):
    """Per text, over patterns.TOKEN words of the raw text: words, all-caps words (str.isupper) and
    words that are a lone 【 or 】."""
    out = np.zeros((offsets.size - 1, 3), dtype=np.int64)
    for d in range(offsets.size - 1):
        i, end = offsets[d], offsets[d + 1]
        words = caps = brackets = 0
        kind = 0  # of the word being read: 0 none, 1 \w run, 2 run of other non-space characters
        upper = lower = False
        first = length = 0
        while i <= end:
            if i < end:
                cp, width = _decode(data, i)
                c = classes[cp]
                now = 0 if c & WS else (1 if c & WORD else 2)
            else:
                cp, width, c, now = 0, 1, 0, 0
            if now != kind:
                if kind != 0:
                    words += 1
                    caps += upper and not lower
                    brackets += length == 1 and (first == 0x3010 or first == 0x3011)
                kind = now
                upper = lower = False
                first = cp
                length = 0
            upper |= (c & UPPER) != 0
            lower |= (c & LOWER_OR_TITLE) != 0
            length += 1
            i += width
        out[d, 0] = words
        out[d, 1] = caps
        out[d, 2] = brackets
    return out


@njit(cache=True, nogil=True)
def _ascii_word_kinds(classes, punct):
    """patterns.TOKEN's kind of each ASCII byte once lowercased: 0 a space (ASCII punctuation is one),
    1 a word character, 2 any other."""
    kinds = np.empty(128, dtype=np.uint8)
    for b in range(128):
        c = b + 32 if 0x41 <= b <= 0x5A else b
        kinds[b] = 0 if (punct[c] or classes[c] & WS) else (1 if classes[c] & WORD else 2)
    return kinds


@njit(cache=True, nogil=True)
def _normalized_words(data, start, end, classes, kinds, hashes, lengths):
    """Hash and length in characters of each normalized word (NW) of one text into hashes/lengths;
    returns the number of words. The text is NFKC-normalized already where it is not ASCII; here ASCII
    letters are lowercased and ASCII punctuation is a space (`kinds`: _ascii_word_kinds), then
    patterns.TOKEN splits."""
    n = 0
    kind = 0
    h = _FNV_OFFSET
    length = 0
    i = start
    while i < end:
        b = data[i]
        if b < 0x80:
            now = kinds[b]
            width = 1
        else:
            cp, width = _decode(data, i)
            c = classes[cp]
            now = 0 if c & WS else (1 if c & WORD else 2)
        if now != kind:
            if kind != 0:
                hashes[n] = fmix64_jit(h)
                lengths[n] = length
                n += 1
            kind = now
            h = _FNV_OFFSET
            length = 0
        if now != 0:
            if width == 1:
                h = (h ^ _U64(b + 32 if 0x41 <= b <= 0x5A else b)) * _FNV_PRIME
            else:
                for k in range(width):
                    h = (h ^ _U64(data[i + k])) * _FNV_PRIME
            length += 1
        i += width
    if kind != 0:
        hashes[n] = fmix64_jit(h)
        lengths[n] = length
        n += 1
    return n


@njit(cache=True, nogil=True, inline="always")
def _longest(offsets):
    """Bytes of the longest text, plus one (at least 1): the size of per-text scratch arrays."""
    longest = 1
    for d in range(offsets.size - 1):
        longest = max(longest, offsets[d + 1] - offsets[d] + 1)
    return longest


@njit(cache=True, nogil=True, inline="always")
def _table_for(n):
    """Mask and shift of an open-addressing table of at least 2n slots (a power of two)."""
    b = 1
    while (1 << b) < 2 * n:
        b += 1
    return (1 << b) - 1, _U64(64 - b)


@njit(cache=True, nogil=True, inline="always")
def _slot(key, mask, shift, keys, stamps, stamp):
    """Open-addressing slot of `key` in a table whose live slots carry `stamp` (others are free)."""
    s = np.int64((key * _SLOT_MUL) >> shift)
    while stamps[s] == stamp and keys[s] != key:
        s = (s + 1) & mask
    return s


_U32 = _U64(32)
_COUNT = _U64(0xFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _packed_slot(key, mask, shift, table, stamp):
    """_slot over a table of (key, stamp << 32 | count) rows: one cache line per probe, not three."""
    s = np.int64((key * _SLOT_MUL) >> shift)
    while (table[s, 1] >> _U32) == stamp and table[s, 0] != key:
        s = (s + 1) & mask
    return s


@njit(cache=True, nogil=True, inline="always")
def _packed_count(table, s, key, stamp):
    """Counts `key` in slot s (its _packed_slot); True if the key is new in this stamp."""
    if (table[s, 1] >> _U32) != stamp:
        table[s, 0] = key
        table[s, 1] = (stamp << _U32) | _U64(1)
        return True
    table[s, 1] += _U64(1)
    return False


# Columns of word_stats' result.
WORDS, WORD_CHARS, UNIQUE, ENTROPY = range(4)
TOP = 4  # TOP + k - 2: frac_chars_top_{k}grams, k = 2..4
DUPE = 7  # DUPE + k - 5: frac_chars_dupe_{k}grams, k = 5..10


@njit(cache=True, nogil=True)
def word_stats(data, offsets, classes, punct):
    """Per text, over its normalized words: words, their characters, distinct words, the unigram
    entropy sum (in first-occurrence order, unrounded), top-2..4-gram and dupe-5..10-gram fractions.

    Counting uses a hash table per text over 64-bit word hashes; an n-gram can occur twice only if
    both its (n-1)-grams do, so each step walks only those candidates, kept in a shrinking list
    (every other n-gram occurs once)."""
    docs = offsets.size - 1
    out = np.zeros((docs, 13), dtype=np.float64)
    longest = _longest(offsets)
    hashes = np.empty(longest, dtype=np.uint64)
    lengths = np.empty(longest, dtype=np.int64)
    before = np.empty(longest + 1, dtype=np.int64)  # characters of the words before each position
    grams = np.empty(longest, dtype=np.uint64)
    dup = np.empty(longest + 1, dtype=np.bool_)  # the gram at a position occurs twice (this level)
    candidates = np.empty(longest, dtype=np.int64)
    slots = np.empty(longest, dtype=np.int64)
    size = _table_for(longest)[0] + 1  # a table for the longest text serves every text
    table = np.zeros((size, 2), dtype=np.uint64)  # key, stamp << 32 | count (_packed_slot)
    firsts = np.zeros(size, dtype=np.int64)
    stamp = _U64(0)
    kinds = _ascii_word_kinds(classes, punct)
    for d in range(docs):
        n = _normalized_words(data, offsets[d], offsets[d + 1], classes, kinds, hashes, lengths)
        before[0] = 0
        for i in range(n):
            before[i + 1] = before[i] + lengths[i]
        total = before[n]
        out[d, WORDS] = n
        out[d, WORD_CHARS] = total
        if n == 0:
            continue
        mask, shift = _table_for(n)
        # unigrams
        stamp += _U64(1)
        unique = 0
        for i in range(n):
            s = _packed_slot(hashes[i], mask, shift, table, stamp)
            if _packed_count(table, s, hashes[i], stamp):
                firsts[s] = i
                unique += 1
            slots[i] = s
        entropy = 0.0
        for i in range(n):
            s = slots[i]
            count = np.int64(table[s, 1] & _COUNT)
            dup[i] = count >= 2
            if firsts[s] == i:
                p = count / n
                entropy += p * np.log(p)
        dup[n] = False
        out[d, UNIQUE] = unique
        out[d, ENTROPY] = -entropy
        # positions whose unigram occurs twice: the only ones a repeated bigram can start at
        m = 0
        for i in range(n):
            grams[i] = hashes[i]
            if dup[i]:
                candidates[m] = i
                m += 1
        for k in range(2, 11):
            last = n - k  # the last position a k-gram starts at
            stamp += _U64(1)
            kept = 0
            for c in range(m):  # candidates: the (k-1)-grams at i and i + 1 both occur twice
                i = candidates[c]
                dup[i] = False  # the (k-1)-level flag, read last by position i - 1 (the list is in order)
                if i > last or not dup[i + 1]:
                    continue
                grams[i] = grams[i] * _GRAM_MUL + hashes[i + k - 1]
                s = _packed_slot(grams[i], mask, shift, table, stamp)
                _packed_count(table, s, grams[i], stamp)
                slots[i] = s
                candidates[kept] = i
                kept += 1
            repeated = 0  # candidates whose k-gram occurs twice: the next level's candidates
            best = -1
            best_count = 0
            for c in range(kept):
                i = candidates[c]
                count = np.int64(table[slots[i], 1] & _COUNT)
                if count >= 2:
                    dup[i] = True
                    candidates[repeated] = i
                    repeated += 1
                    if count > best_count:
                        best, best_count = i, count
            m = repeated
            if last < 0 or total == 0:
                continue
            if k <= 4:
                if best >= 0:  # the first most frequent k-gram (the others occur once)
                    out[d, TOP + k - 2] = (before[best + k] - before[best]) * best_count / total
            else:
                dupe = 0
                covered = 0  # words before this position are counted already
                for c in range(m):
                    i = candidates[c]
                    dupe += before[i + k] - before[max(i, covered)]
                    covered = i + k
                out[d, DUPE + k - 5] = dupe / total
            if m == 0:  # no repeated k-gram: no longer one repeats either (their values stay 0)
                break
    return out


def nfkc_lower(texts: list[str]) -> list[str]:
    """The reference's normalization before words are split: NFKC, then lowercase."""
    return [unicodedata.normalize("NFKC", t).lower() for t in texts]


@njit(cache=True, nogil=True, inline="always")
def _ascii_space(b):
    return b == 32 or 9 <= b <= 13


@njit(cache=True, nogil=True)
def non_ascii_spans(data, offsets, docs, gap):
    """(starts, ends) of the byte spans holding every non-ASCII character of texts `docs` (ascending):
    each ASCII-whitespace-delimited run with a non-ASCII byte, runs less than `gap` bytes apart in one
    text merged; in text order."""
    starts = [np.int64(0)] * 0
    ends = [np.int64(0)] * 0
    for d in docs:
        i, end = offsets[d], offsets[d + 1]
        token = i  # where the run holding i starts
        open_start = open_end = -1
        while i < end:
            b = data[i]
            if b < 0x80:
                i += 1
                if _ascii_space(b):
                    token = i
                continue
            j = i
            while j < end and not _ascii_space(data[j]):
                j += 1
            if open_start >= 0 and token - open_end < gap:
                open_end = j
            else:
                if open_start >= 0:
                    starts.append(open_start)
                    ends.append(open_end)
                open_start, open_end = token, j
            i = j
        if open_start >= 0:
            starts.append(open_start)
            ends.append(open_end)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


@njit(cache=True, nogil=True)
def splice(data, offsets, starts, ends, pieces, piece_offsets):
    """The texts with span k (starts[k]:ends[k], in text order, none crossing a text's end) replaced by
    piece k (pieces[piece_offsets[k]:piece_offsets[k + 1]]): (bytes, offsets)."""
    removed = 0
    for k in range(starts.size):
        removed += ends[k] - starts[k]
    out = np.empty(data.size - removed + pieces.size, dtype=np.uint8)
    out_offsets = np.zeros(offsets.size, dtype=np.int64)
    o = 0
    k = 0
    for d in range(offsets.size - 1):
        i, end = offsets[d], offsets[d + 1]
        while k < starts.size and starts[k] < end:
            out[o : o + starts[k] - i] = data[i : starts[k]]
            o += starts[k] - i
            size = piece_offsets[k + 1] - piece_offsets[k]
            out[o : o + size] = pieces[piece_offsets[k] : piece_offsets[k + 1]]
            o += size
            i = ends[k]
            k += 1
        out[o : o + end - i] = data[i:end]
        o += end - i
        out_offsets[d + 1] = o
    return out, out_offsets


def nfkc_lower_buffers(data: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The texts (UTF-8 buffers) as nfkc_lower makes them, but for ASCII letters left to the kernels to
    lowercase: only the spans holding non-ASCII characters (of texts `docs`, the others are ASCII) are normalized. An ASCII whitespace character
    splits both steps: NFKC never composes across it (a starter no canonical pair begins or ends with),
    and lowercasing's one contextual rule (final sigma) looks only through cased and case-ignorable
    characters; NFKC and lowercasing leave ASCII as the kernels read it."""
    starts, ends = non_ascii_spans(data, offsets, docs, 256)  # merged: fewer Python calls
    if starts.size == 0:
        return data, offsets
    pieces = [unicodedata.normalize("NFKC", data[s:e].tobytes().decode()).lower().encode() for s, e in zip(starts.tolist(), ends.tolist())]
    piece_offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=piece_offsets[1:])
    normalized = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    character_classes(normalized)  # the characters normalization brought in
    return splice(data, offsets, starts, ends, normalized, piece_offsets)


# Columns of code_line_counts' result.
CODE_LINES, DUPE_LINES = range(2)


@njit(cache=True, nogil=True)
def code_line_counts(data, offsets, classes):
    """Per text: its non-blank lines, and those whose form without whitespace occurs more than once among them, is longer than one character and is not "},"."""
    docs = offsets.size - 1
    out = np.zeros((docs, 2), dtype=np.int64)
    longest = _longest(offsets)
    hashes = np.empty(longest, dtype=np.uint64)
    counted = np.empty(longest, dtype=np.bool_)  # longer than one character and not "},"
    slots = np.empty(longest, dtype=np.int64)
    size = _table_for(longest)[0] + 1  # a table for the longest text serves every text
    keys = np.zeros(size, dtype=np.uint64)
    table_counts = np.zeros(size, dtype=np.int64)
    stamps = np.zeros(size, dtype=np.int64)
    for d in range(docs):
        start, end = offsets[d], offsets[d + 1]
        n = 0
        h = _FNV_OFFSET
        length = 0
        brace_comma = True  # the squashed line so far is a prefix of "},"
        i = start
        while i <= end:
            if i == end or data[i] == 10:
                if length > 0:
                    hashes[n] = fmix64_jit(h)
                    counted[n] = length > 1 and not (length == 2 and brace_comma)
                    n += 1
                if i == end:
                    break
                h = _FNV_OFFSET
                length = 0
                brace_comma = True
                i += 1
                continue
            cp, width = _decode(data, i)
            if not classes[cp] & WS:
                for k in range(width):
                    h = (h ^ _U64(data[i + k])) * _FNV_PRIME
                brace_comma = brace_comma and length < 2 and cp == (125 if length == 0 else 44)
                length += 1
            i += width
        out[d, CODE_LINES] = n
        if n == 0:
            continue
        mask, shift = _table_for(n)
        stamp = d + 1
        for j in range(n):
            s = _slot(hashes[j], mask, shift, keys, stamps, stamp)
            if stamps[s] != stamp:
                stamps[s] = stamp
                keys[s] = hashes[j]
                table_counts[s] = 0
            table_counts[s] += 1
            slots[j] = s
        dupes = 0
        for j in range(n):
            dupes += counted[j] and table_counts[slots[j]] > 1
        out[d, DUPE_LINES] = dupes
    return out


@njit(cache=True, nogil=True, inline="always")
def _find(data, i, end, quote, run, stop_at_newline):
    """Where the first run of `run` `quote` bytes at or after i starts, or -1 (also at a newline
    first when stop_at_newline: the regex's `.` does not cross lines)."""
    while i + run <= end:
        b = data[i]
        if stop_at_newline and b == 10:
            return -1
        if b == quote and (run == 1 or (data[i + 1] == quote and data[i + 2] == quote)):
            return i
        i += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _string_match(data, i, end, stop_at_newline):
    """The content span (start, end) of patterns.STR_A (or STR_B when stop_at_newline) matching at i,
    after the quotes string_content strips, and where the match ends; start -1 if none matches.
    A triple-quoted string crosses lines in both."""
    q = data[i]
    if i + 2 < end and data[i + 1] == q and data[i + 2] == q:
        j = _find(data, i + 3, end, q, 3, False)
        if j >= 0:
            return i + 3, j, j + 3
    j = _find(data, i + 1, end, q, 1, stop_at_newline)
    if j >= 0:
        return i + 1, j, j + 1
    return -1, -1, i + 1


@njit(cache=True, nogil=True)
def _long_lines(data, start, end, classes):
    """Lines of a string's content with more than 20 runs of non-space characters."""
    lines = runs = 0
    in_run = False
    i = start
    while i < end:
        cp, width = _decode(data, i)
        i += width
        if cp == 10:
            lines += runs > 20
            runs = 0
            in_run = False
        elif classes[cp] & WS:
            in_run = False
        elif not in_run:
            in_run = True
            runs += 1
    return lines + (runs > 20)


@njit(cache=True, nogil=True, inline="always")
def _has_url(data, start, end):
    """patterns.HTTP inside a word (no spaces): http:// or https:// with a character after it."""
    for i in range(start, end - 7):
        if data[i] == 104 and data[i + 1] == 116 and data[i + 2] == 116 and data[i + 3] == 112:
            k = i + 4 + (data[i + 4] == 115)
            if k + 3 < end and data[k] == 58 and data[k + 1] == 47 and data[k + 2] == 47:
                return True
    return False


@njit(cache=True, nogil=True)
def _string_chars(data, start, end, classes):
    """(characters, characters of words of 21+ non-space characters without a URL) of a string's content."""
    chars = long_chars = 0
    word_start = -1
    word_chars = 0
    i = start
    while i <= end:
        if i < end:
            cp, width = _decode(data, i)
            space = (classes[cp] & WS) != 0
        else:
            width, space = 1, True
        if space:
            if word_start >= 0 and word_chars >= 21 and not _has_url(data, word_start, i):
                long_chars += word_chars
            word_start = -1
            word_chars = 0
        else:
            if word_start < 0:
                word_start = i
            word_chars += 1
        chars += i < end
        i += width
    return chars, long_chars


# Columns of string_counts' result.
LONG_STRING_LINES, STRING_CHARS, LONG_WORD_CHARS = range(3)


@njit(cache=True, nogil=True)
def string_counts(data, offsets, classes):
    """Per code text, over its string literals (patterns.STR_A / STR_B, contents as string_content
    takes them): string lines with more than 20 words (STR_A), string characters and characters of
    long words that are not URLs (STR_B)."""
    out = np.zeros((offsets.size - 1, 3), dtype=np.int64)
    for d in range(offsets.size - 1):
        start, end = offsets[d], offsets[d + 1]
        for single_line in (False, True):
            i = start
            while i < end:
                if data[i] != 39 and data[i] != 34:
                    i += 1
                    continue
                a, b, i = _string_match(data, i, end, single_line)
                if a < 0:
                    continue
                if single_line:
                    chars, long_chars = _string_chars(data, a, b, classes)
                    out[d, STRING_CHARS] += chars
                    out[d, LONG_WORD_CHARS] += long_chars
                else:
                    out[d, LONG_STRING_LINES] += _long_lines(data, a, b, classes)
    return out


# Comment styles of patterns.SPLIT, as split_code's `styles` argument takes them.
STYLES = ("none", "c", "hash", "python", "dash", "markup", "c_nl", "hash_nl", "dash_nl")
_C, _HASH, _PYTHON, _DASH, _MARKUP, _C_NL, _HASH_NL, _DASH_NL = range(1, 9)


@njit(cache=True, nogil=True, inline="always")
def _quoted_end(data, i, end):
    """End of patterns.DQ / SQ (by the quote at i) matching at i, or -1."""
    q = data[i]
    j = i + 1
    while j < end:
        b = data[j]
        if b == q:
            return j + 1
        if b == 10:
            return -1
        if b == 92:  # a backslash escapes any character but a newline
            if j + 1 >= end or data[j + 1] == 10:
                return -1
            j += 2
        else:
            j += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _closing_end(data, i, end, c0, c1, c2, run):
    """End of the first `run`-byte closer (c0 c1 [c2]) starting at or after i, or -1: a lazy [\\s\\S]*?."""
    while i + run <= end:
        if data[i] == c0 and data[i + 1] == c1 and (run == 2 or data[i + 2] == c2):
            return i + run
        i += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _triple_end(data, i, end):
    """End of patterns.TRIPLE matching at i, or -1."""
    q = data[i]
    if (q == 34 or q == 39) and i + 2 < end and data[i + 1] == q and data[i + 2] == q:
        return _closing_end(data, i + 3, end, q, q, q, 3)
    return -1


@njit(cache=True, nogil=True, inline="always")
def _line_end(data, i, end):
    while i < end and data[i] != 10:
        i += 1
    return i


@njit(cache=True, nogil=True)
def _next_match(data, i, start, end, style):
    """The match of patterns.SPLIT[style] at i: (end, comment start) with comment start -1 for a
    string (kept in the code part); end -1 when nothing matches at i."""
    b = data[i]
    nxt = data[i + 1] if i + 1 < end else 0
    newline = style >= _C_NL  # a line comment takes its newline (patterns.SPLIT's *_nl styles)
    if style == _C_NL:
        style = _C
    elif style == _HASH_NL:
        style = _HASH
    elif style == _DASH_NL:
        style = _DASH
    if style == _PYTHON:
        if i == start or data[i - 1] == 10:  # a docstring: (?m)^([ \t]*[rRuUbB]{0,2})(TRIPLE), indent and prefix code
            k = i
            while k < end and (data[k] == 32 or data[k] == 9):
                k += 1
            p = k
            while k < end and k - p < 2 and (data[k] == 114 or data[k] == 82 or data[k] == 117 or data[k] == 85 or data[k] == 98 or data[k] == 66):
                k += 1
            if k < end:
                e = _triple_end(data, k, end)
                if e >= 0:
                    return e, k
        if b == 34 or b == 39:
            e = _triple_end(data, i, end)
            return (e if e >= 0 else _quoted_end(data, i, end)), -1
        if b == 35:
            return _line_end(data, i, end), i
        return -1, -1
    if style == _MARKUP:
        if b == 60 and nxt == 33 and i + 3 < end and data[i + 2] == 45 and data[i + 3] == 45:
            return _closing_end(data, i + 4, end, 45, 45, 62, 3), i
        return -1, -1
    if b == 34 or b == 39:
        return _quoted_end(data, i, end), -1
    if (style == _HASH and b == 35) or (style == _C and b == 47 and nxt == 47) or (style == _DASH and b == 45 and nxt == 45):
        e = _line_end(data, i, end)
        return (e + 1 if newline and e < end else e), i
    if (style == _C or style == _DASH) and b == 47 and nxt == 42:
        return _closing_end(data, i + 2, end, 42, 47, 0, 2), i
    return -1, -1


@njit(cache=True, nogil=True)
def split_code(data, offsets, styles):
    """Each text's code part and comments by patterns.SPLIT of its style, as reference.split_code:
    (code bytes, code offsets, comment bytes, comment offsets, comment characters, characters of Python
    # comments other than "#"), a file's comments
    concatenated as the released filter concatenates Pygments' comment tokens (a line comment without
    its newline runs on into the next comment). A string stays in the code part; a comment leaves it."""
    docs = offsets.size - 1
    code = np.empty(data.size, dtype=np.uint8)
    code_offsets = np.zeros(docs + 1, dtype=np.int64)
    comments = np.empty(2 * data.size + 1, dtype=np.uint8)
    comment_offsets = np.zeros(docs + 1, dtype=np.int64)
    comment_chars = np.zeros(docs, dtype=np.int64)
    hash_text = np.zeros(docs, dtype=np.int64)
    c = m = 0
    for d in range(docs):
        start, end = offsets[d], offsets[d + 1]
        style = styles[d]
        i = start
        while i < end:
            e = comment = -1
            b = data[i]
            if style != 0 and (b == 34 or b == 39 or b == 35 or b == 47 or b == 45 or b == 60 or (style == _PYTHON and (i == start or data[i - 1] == 10))):
                e, comment = _next_match(data, i, start, end, style)
            if e < 0:
                code[c] = data[i]
                c += 1
                i += 1
                continue
            if comment < 0:
                code[c : c + e - i] = data[i:e]
                c += e - i
            else:
                code[c : c + comment - i] = data[i:comment]  # a docstring's indent and prefix stay code
                c += comment - i
                comments[m : m + e - comment] = data[comment:e]
                m += e - comment
                for k in range(comment, e):
                    comment_chars[d] += (data[k] & 0xC0) != 0x80
                if style == _PYTHON and data[comment] == 35:  # a # comment: its characters but the #s
                    for k in range(comment, e):
                        hash_text[d] += (data[k] & 0xC0) != 0x80 and data[k] != 35
            i = e
        code_offsets[d + 1] = c
        comment_offsets[d + 1] = m
    return code[:c], code_offsets, comments[:m], comment_offsets, comment_chars, hash_text
