"""Word n-grams, normalized: the definition both scanners share, and the plain Python scan (the reference
the fast kernel is tested and benchmarked against).

A word is a run of ASCII letters, digits, `_` or non-ASCII bytes of the UTF-8 text, ASCII lower-cased;
every other byte separates words. An n-gram is n consecutive words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")


def words(text: str | bytes) -> list[bytes]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return WORD.findall(data.lower())


def ngrams(text: str | bytes, n: int) -> list[tuple[bytes, ...]]:
    found = words(text)
    return [tuple(found[i: i + n]) for i in range(len(found) - n + 1)]


def ngram_text(gram: tuple[bytes, ...]) -> str:
    return b" ".join(gram).decode("utf-8", "replace")


def reference_first_matches(texts: Iterable[str], table: dict[tuple[bytes, ...], int], n: int) -> list[tuple[int, tuple[bytes, ...]] | None]:
    """For each text, (the value of its first n-gram found in `table`, that n-gram), or None: a plain
    Python set-of-n-grams loop."""
    out: list[tuple[int, tuple[bytes, ...]] | None] = []
    for text in texts:
        found = words(text)
        match = None
        for i in range(len(found) - n + 1):
            gram = tuple(found[i: i + n])
            value = table.get(gram)
            if value is not None:
                match = (value, gram)
                break
        out.append(match)
    return out
