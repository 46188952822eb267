"""A page's bytes as text: the charset from the HTTP header, else the HTML meta tag, else detected
(uchardet, through resiliparse). Labels are mapped as browsers map them (WHATWG: `iso-8859-1` is read
as windows-1252).

A declared charset the bytes do not fit falls back to the detected one; bytes that fit no candidate are
decoded with replacement characters, and the page is undecodable when more than `max_replaced_share`
of its characters had to be replaced.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from resiliparse.parse.encoding import detect_encoding, map_encoding_to_html5

_META_WINDOW = 1024  # where HTML puts (and resiliparse looks for) a <meta charset>


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # the codec that read it
    source: str  # header | meta | detected (+ "-lossy" when characters were replaced)
    problem: str | None = None  # set when the page is undecodable


def _codec(label: str | None) -> str | None:
    """A WHATWG-mapped Python codec name for a charset label, or None for an unknown label."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        codecs.lookup(label)
    except LookupError:
        return None
    return map_encoding_to_html5(label)


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_page(data: bytes, header_charset: str | None, detect_bytes: int, max_replaced_share: float) -> DecodedText:
    """Candidates in order: the header's charset, the meta tag's (when the first KB names a charset, or
    resiliparse's meta lookup disagrees with detection), the detected one; the first that decodes the
    bytes strictly wins. Each candidate is computed only when the ones before it failed: uchardet
    (the costly step) runs only when no declared charset fits. resiliparse's meta lookup reads only a
    `charset` in the first KB and otherwise returns the detected encoding, so without that word the meta
    candidate is the detected one and is not tried twice."""
    if data.startswith(codecs.BOM_UTF8):  # a byte-order mark outranks every label, as in browsers
        data, header_charset = data[len(codecs.BOM_UTF8):], "utf-8"
    candidates: list[tuple[str, str]] = []
    declared = _codec(header_charset)
    if declared:
        candidates.append((declared, "header"))
        text = _strict(data, declared)
        if text is not None:
            return DecodedText(text, declared, "header")
    if b"charset" in data[:_META_WINDOW].lower():
        with_meta = detect_encoding(data, max_len=detect_bytes, from_html_meta=True)
        candidates.append((with_meta, "meta"))
        text = _strict(data, with_meta)
        if text is not None:
            return DecodedText(text, with_meta, "meta")
    detected = detect_encoding(data, max_len=detect_bytes, from_html_meta=False)
    candidates.append((detected, "detected"))
    text = _strict(data, detected)
    if text is not None:
        return DecodedText(text, detected, "detected")
    encoding, source = candidates[0]
    text = data.decode(encoding, errors="replace")
    replaced = text.count("\ufffd") / max(len(text), 1)
    if replaced > max_replaced_share:
        tried = ", ".join(f"{e} ({s})" for e, s in candidates)
        return DecodedText("", encoding, source, f"no charset fits the bytes (tried {tried}); {replaced:.1%} of characters unreadable")
    return DecodedText(text, encoding, f"{source}-lossy")
