"""The length of an HTML file's visible text (qsc_codehtml_), one numba pass per step over its bytes.

The definition is patterns.HTML_*'s chain of regex replacements (reference.py applies it with Python
`re`): drop script/style/comment blocks, wrap every tag as \\x02<tag>\\x03, collapse whitespace-only
segments between tags (twice: with a newline, then without), remove the wrapped tags and the markers,
turn character references into "&", count the characters left. Here each replacement is a byte
loop that matches as the regex engine does (leftmost-first, the same lazy and greedy choices), so
no capture-group search runs per tag: the regex chain cost 20 ms per MB of HTML, most of
filter_signals' regex time. Case-insensitive matches follow Unicode simple case folding, under
which the only non-ASCII character equal to a letter of these tag names is U+017F (long s) for
"s"; a word boundary asks the regex engine's own `\\w` (kernels.regex_stand_ins).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from codelake.filtered.kernels import _decode

_LT, _GT, _AMP, _HASH, _SEMI, _SLASH, _BANG, _DASH = 60, 62, 38, 35, 59, 47, 33, 45
_START, _END = 0x03, 0x02  # patterns.HTML_SEGMENT_START, HTML_SEGMENT_END
_WORD_STAND_IN = 0x5F  # kernels.regex_stand_ins' stand-in for a word character

_SCRIPT = np.frombuffer(b"script", dtype=np.uint8)
_STYLE = np.frombuffer(b"style", dtype=np.uint8)
_PRE = np.frombuffer(b"pre", dtype=np.uint8)
_TEXTAREA = np.frombuffer(b"textarea", dtype=np.uint8)


@njit(cache=True, nogil=True, inline="always")
def _name_end(data, i, end, name):
    """Where `name` (lowercase ASCII) ends if it matches case-insensitively at i, else -1."""
    for k in range(name.size):
        if i >= end:
            return -1
        b = data[i]
        if b == name[k] or (0x41 <= b <= 0x5A and b + 32 == name[k]):
            i += 1
        elif name[k] == 115 and b == 0xC5 and i + 1 < end and data[i + 1] == 0xBF:  # U+017F folds to s
            i += 2
        else:
            return -1
    return i


@njit(cache=True, nogil=True, inline="always")
def _is_word(data, i, stand_ins):
    b = data[i]
    if b < 0x80:
        return (0x30 <= b <= 0x39) or (0x41 <= b <= 0x5A) or (0x61 <= b <= 0x7A) or b == 0x5F
    cp, _ = _decode(data, i)
    return stand_ins[cp] == _WORD_STAND_IN


@njit(cache=True, nogil=True, inline="always")
def _next(data, i, end, byte):
    """The first position at or after i holding `byte`, or -1."""
    while i < end:
        if data[i] == byte:
            return i
        i += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _closed_by(data, i, end, name):
    """End of the first `</name>` (name case-insensitive) starting at or after i, or -1."""
    while i < end:
        if data[i] == _LT and i + 1 < end and data[i + 1] == _SLASH:
            e = _name_end(data, i + 2, end, name)
            if e >= 0 and e < end and data[e] == _GT:
                return e + 1
        i += 1
    return -1


@njit(cache=True, nogil=True)
def _drop_blocks(src, start, end, dst, stand_ins):
    """patterns.HTML_DROP replaced by \\x02\\x03 (script, style, then comment, tried in that order at a
    "<"); a search that found no closer once finds none from later starts either."""
    o = 0
    i = start
    open_script = open_style = open_comment = True  # a closer may still follow
    while i < end:
        if src[i] == _LT:
            m = -1
            j = _name_end(src, i + 1, end, _SCRIPT)
            if open_script and j >= 0 and (j == end or not _is_word(src, j, stand_ins)):
                m = _closed_by(src, j, end, _SCRIPT)
                open_script = m >= 0
            if m < 0:
                j = _name_end(src, i + 1, end, _STYLE)
                if open_style and j >= 0 and (j == end or not _is_word(src, j, stand_ins)):
                    m = _closed_by(src, j, end, _STYLE)
                    open_style = m >= 0
            if m < 0 and open_comment and i + 3 < end and src[i + 1] == _BANG and src[i + 2] == _DASH and src[i + 3] == _DASH:
                k = i + 4
                while k + 2 < end and not (src[k] == _DASH and src[k + 1] == _DASH and src[k + 2] == _GT):
                    k += 1
                if k + 2 < end:
                    m = k + 3
                open_comment = m >= 0
            if m >= 0:
                dst[o] = _END
                dst[o + 1] = _START
                o += 2
                i = m
                continue
        dst[o] = src[i]
        o += 1
        i += 1
    return o


@njit(cache=True, nogil=True)
def _wrap_tags(src, n, dst):
    """\\x03 + src with every patterns.HTML_TAG match as \\x02<tag>\\x03 + \\x02."""
    dst[0] = _START
    o = 1
    i = 0
    closable = True  # a ">" follows somewhere
    while i < n:
        if src[i] == _LT and closable:
            g = _next(src, i + 1, n, _GT)
            if g < 0:
                closable = False
            else:
                dst[o] = _END
                o += 1
                dst[o : o + g + 1 - i] = src[i : g + 1]
                o += g + 1 - i
                dst[o] = _START
                o += 1
                i = g + 1
                continue
        dst[o] = src[i]
        o += 1
        i += 1
    dst[o] = _END
    return o + 1


@njit(cache=True, nogil=True, inline="always")
def _blank(b, newline):
    return b == 32 or b == 9 or b == 13 or b == 12 or (newline and b == 10)


@njit(cache=True, nogil=True, inline="always")
def _open_name_end(src, i, n):
    """End of "pre" or "textarea" (case-insensitive) at i, or -1."""
    e = _name_end(src, i, n, _PRE)
    return e if e >= 0 else _name_end(src, i, n, _TEXTAREA)


@njit(cache=True, nogil=True)
def _collapse_blanks(src, n, dst, stand_ins, newline):
    """patterns.HTML_BLANK_WITH_NEWLINE (newline) or HTML_BLANK applied: a <pre>/<textarea> block
    (group 1) is kept whole; a segment of blanks between \\x03 and \\x02 becomes one newline (if it
    holds one) or its last blank."""
    o = 0
    i = 0
    closer_from = n + 1  # no block closer starts at or after this position
    while i < n:
        b = src[i]
        if b == _LT:
            m = -1
            k = _open_name_end(src, i + 1, n)
            if k >= 0 and (k == n or not _is_word(src, k, stand_ins)):
                g = _next(src, k, n, _GT)
                if g >= 0 and g + 1 < n and src[g + 1] == _START and g + 2 < closer_from:
                    p = g + 2  # lazy: the first \x02</pre|textarea ...> after
                    while p + 2 < n:
                        if src[p] == _END and src[p + 1] == _LT and src[p + 2] == _SLASH:
                            q = _open_name_end(src, p + 3, n)
                            if q >= 0:
                                r = _next(src, q, n, _GT)
                                if r >= 0:
                                    m = r + 1
                                break  # no ">" after this closer: none after a later one either
                        p += 1
                    if m < 0:
                        closer_from = g + 2
            if m >= 0:
                dst[o : o + m - i] = src[i:m]
                o += m - i
                i = m
                continue
        elif b == _START:
            j = i + 1
            has_newline = False
            while j < n and _blank(src[j], newline):
                has_newline |= src[j] == 10
                j += 1
            if j < n and src[j] == _END and (has_newline if newline else j > i + 1):
                dst[o] = _START
                dst[o + 1] = 10 if newline else src[j - 1]
                dst[o + 2] = _END
                o += 3
                i = j + 1
                continue
        dst[o] = b
        o += 1
        i += 1
    return o


@njit(cache=True, nogil=True)
def _unwrap(src, n, dst):
    """patterns.HTML_WRAPPED_TAG removed: \\x02<tag>\\x03 whole, then any lone marker."""
    o = 0
    i = 0
    closable = True
    while i < n:
        b = src[i]
        if b == _END:
            if closable and i + 1 < n and src[i + 1] == _LT:
                g = _next(src, i + 2, n, _GT)
                closable = g >= 0
                if g >= 0 and g + 1 < n and src[g + 1] == _START:
                    i = g + 2
                    continue
            i += 1
            continue
        if b == _START:
            i += 1
            continue
        dst[o] = b
        o += 1
        i += 1
    return o


@njit(cache=True, nogil=True, inline="always")
def _is_digit(b):
    return 0x30 <= b <= 0x39


@njit(cache=True, nogil=True, inline="always")
def _is_hex(b):
    return _is_digit(b) or 0x41 <= b <= 0x46 or 0x61 <= b <= 0x66


@njit(cache=True, nogil=True, inline="always")
def _is_letter(b):
    return 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A


@njit(cache=True, nogil=True, inline="always")
def _entity_end(src, i, n):
    """End of patterns.HTML_ENTITY at the "&" at i, or -1 (its three alternatives in order)."""
    if i + 1 < n and src[i + 1] == _HASH:
        j = i + 2
        while j < n and _is_digit(src[j]):
            j += 1
        if j > i + 2 and j < n and src[j] == _SEMI:
            return j + 1
        if i + 2 < n and (src[i + 2] == 0x78 or src[i + 2] == 0x58):
            j = i + 3
            while j < n and _is_hex(src[j]):
                j += 1
            if j > i + 3 and j < n and src[j] == _SEMI:
                return j + 1
        return -1
    if i + 1 < n and _is_letter(src[i + 1]):
        j = i + 2
        while j < n and (_is_letter(src[j]) or _is_digit(src[j])):
            j += 1
        if j < n and src[j] == _SEMI:
            return j + 1
    return -1


@njit(cache=True, nogil=True)
def _chars_after_entities(src, n):
    """Characters of src once each patterns.HTML_ENTITY match is replaced by "&"."""
    chars = 0
    i = 0
    while i < n:
        if src[i] == _AMP:
            e = _entity_end(src, i, n)
            if e >= 0:
                chars += 1
                i = e
                continue
        chars += (src[i] & 0xC0) != 0x80
        i += 1
    return chars


@njit(cache=True, nogil=True)
def visible_chars(data, offsets, stand_ins):
    """Per HTML text: the characters of its visible text (module docstring)."""
    docs = offsets.size - 1
    out = np.zeros(docs, dtype=np.int64)
    longest = 1
    for d in range(docs):
        longest = max(longest, offsets[d + 1] - offsets[d])
    a = np.empty(2 * longest + 4, dtype=np.uint8)
    b = np.empty(2 * longest + 4, dtype=np.uint8)
    for d in range(docs):
        n = _drop_blocks(data, offsets[d], offsets[d + 1], a, stand_ins)
        n = _wrap_tags(a, n, b)
        n = _collapse_blanks(b, n, a, stand_ins, True)
        n = _collapse_blanks(a, n, b, stand_ins, False)
        n = _unwrap(b, n, a)
        out[d] = _chars_after_entities(a, n)
    return out
