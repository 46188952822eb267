"""Near duplicates of generated passages, with the fuzzy engine's MinHash + LSH (codelake/fuzzy_dedup):
among the passages themselves, and against a corpus table.

The corpus side reuses the signatures fuzzy_dedup stored in `fuzzy_signatures` when they were computed
with the same parameters, and computes the rest from the corpus's text, batch by batch; candidates are
found with vectorized band-key membership, so only matching files reach Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from codelake.fuzzy_dedup import FuzzyParams
from codelake.fuzzy_dedup.signatures import SIGNATURES_TABLE, signature_batch
from codelake.lake import Lake
from codelake.lake.sql import ConnectionFactory, connect, delta_scan


@dataclass(frozen=True)
class Signed:
    signatures: np.ndarray  # (n, num_perm) uint32
    has_shingles: np.ndarray  # (n,) bool
    band_keys: np.ndarray  # (n, bands) int64


def sign(texts: list[str], params: FuzzyParams) -> Signed:
    matrix, mask, keys = signature_batch(pa.array(texts, pa.large_string()), params)
    return Signed(matrix, mask, keys.view(np.int64))


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / a.size


def _accepts(params: FuzzyParams, similarity: float) -> bool:
    return params.verify_threshold is None or similarity >= params.verify_threshold


def duplicates_among(signed: Signed, params: FuzzyParams) -> dict[int, tuple[int, float]]:
    """passage index -> (its survivor's index, estimated Jaccard): linked passages sharing a band key form
    clusters; each keeps its first passage (lowest index)."""
    n = len(signed.has_shingles)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[int, int], int] = {}
    for i in range(n):
        if not signed.has_shingles[i]:
            continue
        for band, key in enumerate(signed.band_keys[i].tolist()):
            j = first.setdefault((band, key), i)
            if j != i and _accepts(params, _jaccard(signed.signatures[i], signed.signatures[j])):
                a, b = root(i), root(j)
                parent[max(a, b)] = min(a, b)
    out = {}
    for i in range(n):
        r = root(i)
        if r != i:
            out[i] = (r, _jaccard(signed.signatures[i], signed.signatures[r]))
    return out


def _corpus_signed(lake: Lake, table: str, params: FuzzyParams, connections: ConnectionFactory | None, batch_rows: int) -> Iterator[tuple[list[dict], Signed]]:
    """(rows of doc_id/repo/path, their signatures) for every file of `table`: stored ones first, then the rest."""
    con = connect(lake, connections=connections)
    try:
        corpus = delta_scan(lake, table)
        stored = lake.exists(SIGNATURES_TABLE)
        if stored:
            reader = con.execute(
                f"SELECT c.doc_id, c.repo, c.path, s.signature, s.has_shingles, s.band_keys FROM {corpus} c "
                f"JOIN {delta_scan(lake, SIGNATURES_TABLE)} s ON s.doc_id = c.doc_id AND s.params = $p",
                {"p": params.fingerprint()},
            ).to_arrow_reader(batch_rows)
            for batch in reader:
                if batch.num_rows:
                    matrix = np.frombuffer(b"".join(batch.column("signature").to_pylist()), dtype="<u4").reshape(batch.num_rows, -1)
                    keys = np.array(batch.column("band_keys").to_pylist(), dtype=np.int64).reshape(batch.num_rows, -1)
                    rows = batch.select(["doc_id", "repo", "path"]).to_pylist()
                    yield rows, Signed(matrix, np.array(batch.column("has_shingles").to_pylist(), dtype=bool), keys)
        missing = f"SELECT c.doc_id, c.repo, c.path, c.text FROM {corpus} c"
        if stored:
            missing += f" ANTI JOIN (SELECT doc_id FROM {delta_scan(lake, SIGNATURES_TABLE)} WHERE params = $p) s ON s.doc_id = c.doc_id"
        for batch in con.execute(missing, {"p": params.fingerprint()} if stored else {}).to_arrow_reader(batch_rows):
            if batch.num_rows:
                texts = [t or "" for t in batch.column("text").to_pylist()]
                yield batch.select(["doc_id", "repo", "path"]).to_pylist(), sign(texts, params)
    finally:
        con.close()


def duplicates_in_corpus(
    signed: Signed, params: FuzzyParams, lake: Lake, table: str, connections: ConnectionFactory | None = None, batch_rows: int = 2000
) -> dict[int, dict]:
    """passage index -> the corpus file it nearly duplicates (doc_id, repo, path, jaccard), best match kept."""
    found: dict[int, dict] = {}
    if not lake.exists(table) or not signed.has_shingles.any():
        return found
    bands = signed.band_keys.shape[1]
    index: dict[tuple[int, int], list[int]] = {}
    for i in np.flatnonzero(signed.has_shingles):
        for band, key in enumerate(signed.band_keys[i].tolist()):
            index.setdefault((band, key), []).append(int(i))
    per_band = [np.array(sorted({k for (b, k) in index if b == band}), dtype=np.int64) for band in range(bands)]
    for rows, corpus in _corpus_signed(lake, table, params, connections, batch_rows):
        hit = np.zeros(len(rows), dtype=bool)
        for band in range(bands):
            hit |= np.isin(corpus.band_keys[:, band], per_band[band])
        for r in np.flatnonzero(hit & corpus.has_shingles):
            for band, key in enumerate(corpus.band_keys[r].tolist()):
                for i in index.get((band, key), ()):
                    similarity = _jaccard(signed.signatures[i], corpus.signatures[r])
                    if _accepts(params, similarity) and similarity > found.get(i, {}).get("jaccard", -1.0):
                        found[i] = {**rows[r], "jaccard": round(similarity, 4)}
    return found
