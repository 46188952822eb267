"""The benchmarks as a contamination index: their n-grams (a hash table for the kernel, the n-grams
themselves for confirmation) and their entry points; `scan` says, for each text, what it matches first.

A text is contaminated by an n-gram when one of its word n-grams is a benchmark item's (the first in the
text is reported; n-grams of numbers only are not indexed: a test's data grid matches too much), or by an entry point when it defines a function (`def`, `function`, `fn`, `func`)
named like a benchmark's entry point of at least `min_entry_point_chars` characters.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from codelake.decontamination.benchmarks import BenchmarkItem, BenchmarkSet
from codelake.decontamination.kernel import BYTE_CLASSES, KeyTable, ngram_keys
from codelake.decontamination.ngrams import ngram_text, ngrams, reference_first_matches, words
from codelake.utf8 import utf8_buffers


@dataclass(frozen=True)
class Match:
    kind: str  # ngram | entry_point
    benchmark: str
    item_id: str
    evidence: str  # the matching n-gram, or the entry point's name

    def detail(self) -> dict:
        key = "ngram" if self.kind == "ngram" else "entry_point"
        return {"benchmark": self.benchmark, "item_id": self.item_id, "match": self.kind, key: self.evidence}


class ContaminationIndex:
    def __init__(self, benchmarks: BenchmarkSet, n: int, min_entry_point_chars: int):
        self.n = n
        self.items: list[BenchmarkItem] = benchmarks.items
        self.grams: dict[tuple[bytes, ...], int] = {}  # n-gram -> index of the first item holding it
        keys = []
        for index, item in enumerate(self.items):
            grams = ngrams(item.text, n)
            data = np.frombuffer(item.text.encode("utf-8"), np.uint8)
            item_keys = ngram_keys(data, n, BYTE_CLASSES)  # in the same order as `grams`: the same words
            # an n-gram of numbers only (a test's data, a table) says nothing about where a text came from
            wanted = np.array([not all(w.isdigit() for w in gram) for gram in grams], dtype=bool)
            for gram, keep in zip(grams, wanted):
                if keep:
                    self.grams.setdefault(gram, index)
            keys.append(item_keys[wanted] if len(item_keys) else item_keys)
        self.keys = KeyTable.build(np.concatenate(keys) if keys else np.zeros(0, np.uint64))
        self.entry_points: dict[str, int] = {}
        for index, item in enumerate(self.items):
            for name in item.entry_points:
                if len(name) >= min_entry_point_chars:
                    self.entry_points.setdefault(name, index)
        names = "|".join(sorted(map(re.escape, self.entry_points), key=len, reverse=True))
        self._definition = re.compile(rf"\b(?:def|function|fn|func)\s+({names})\s*\(") if names else None

    def __len__(self) -> int:
        return len(self.grams)

    def _ngram_match(self, index: int, gram: tuple[bytes, ...]) -> Match:
        item = self.items[index]
        return Match("ngram", item.benchmark, item.item_id, ngram_text(gram))

    def _reference_one(self, text: str) -> Match | None:
        found = reference_first_matches([text], self.grams, self.n)[0]
        return self._ngram_match(*found) if found else None

    def ngram_matches(self, texts: pa.Array, threads: int = 1) -> list[Match | None]:
        """The fast scan: each text's first benchmark n-gram (confirmed on its words), or None. With
        `threads` > 1 the texts are split into that many runs scanned side by side (the kernel releases the GIL)."""
        data, starts = utf8_buffers(texts)
        if threads > 1 and len(texts) >= 2 * threads:
            cuts = np.linspace(0, len(texts), threads + 1).astype(np.int64)
            with ThreadPoolExecutor(threads) as pool:
                parts = pool.map(lambda k: self.keys.first_hits(data, starts[cuts[k]: cuts[k + 1] + 1], self.n), range(threads))
                spans = np.concatenate(list(parts))
        else:
            spans = self.keys.first_hits(data, starts, self.n)
        out: list[Match | None] = [None] * len(texts)
        for d in np.flatnonzero(spans[:, 0] >= 0):
            gram = tuple(words(data[spans[d, 0]: spans[d, 1]].tobytes()))
            index = self.grams.get(gram)
            # a 64-bit key collision: fall back to the plain scan of this one text (exact either way)
            out[d] = self._ngram_match(index, gram) if index is not None else self._reference_one(texts[int(d)].as_py())
        return out

    def reference_ngram_matches(self, texts: list[str]) -> list[Match | None]:
        """The plain Python set-of-n-grams loop over the same texts (tests and bench/decontam.py)."""
        return [self._ngram_match(*found) if found else None for found in reference_first_matches(texts, self.grams, self.n)]

    def entry_point_match(self, text: str) -> Match | None:
        if self._definition is None:
            return None
        found = self._definition.search(text)
        if not found:
            return None
        item = self.items[self.entry_points[found.group(1)]]
        return Match("entry_point", item.benchmark, item.item_id, found.group(1))

    def scan(self, texts: pa.Array, threads: int = 1) -> list[Match | None]:
        """The n-gram match of each text, else its entry-point match, else None."""
        matches = self.ngram_matches(texts, threads)
        return [m or self.entry_point_match(t) for m, t in zip(matches, texts.to_pylist())]
