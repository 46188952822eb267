"""Member names an archive repeats: which copy of a path each member is.

A tar or zip may hold the same path more than once (appended members, concatenated crawls). Extraction
leaves the last copy, so the last one stands for the path and every earlier one is a numbered copy that
raw_files drops (`duplicate_path`). Names are counted as 16-byte digests in one flat buffer and only the
repeated ones are kept in a dict, so a pass over millions of members costs 16 bytes per member.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=16).digest()


class RepeatedNames:
    """`add` every member's key in archive order; `freeze`; then `copy_of` each key in the same order."""

    def __init__(self) -> None:
        self._digests = bytearray()
        self._counts: dict[bytes, int] = {}
        self._seen: dict[bytes, int] = {}

    def add(self, key: str) -> None:
        self._digests += _digest(key)

    def freeze(self) -> None:
        digests = np.frombuffer(bytes(self._digests), dtype=np.dtype((np.void, 16)))
        self._digests = bytearray()
        if len(digests) < 2:
            return
        unique, counts = np.unique(digests, return_counts=True)
        repeated = counts > 1
        self._counts = {bytes(u): int(c) for u, c in zip(unique[repeated], counts[repeated])}

    def restart(self) -> None:
        """Before another pass over the members in the same order."""
        self._seen.clear()

    def copy_of(self, key: str) -> tuple[int, int]:
        """(copy, copies): copy 0 for the last (or only) member with this key, else 1, 2, ... in order."""
        if not self._counts:
            return 0, 1
        digest = _digest(key)
        copies = self._counts.get(digest)
        if copies is None:
            return 0, 1
        seen = self._seen.get(digest, 0) + 1
        self._seen[digest] = seen
        return (0 if seen == copies else seen), copies
