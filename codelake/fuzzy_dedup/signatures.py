"""MinHash signatures and LSH band keys of the files that survived exact dedup, computed once per file.

Incremental: a file's signature is computed the first time it reaches fuzzy dedup with given parameters
and appended to `fuzzy_signatures`; later dumps only add theirs. Texts stream from `raw_files` in
batches and are hashed by a pool of worker processes (the same pure function could run as Ray tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
import pyarrow as pa

from codelake.fuzzy_dedup.config import FuzzyParams
from codelake.fuzzy_dedup.lsh import band_keys
from codelake.fuzzy_dedup.minhash import MinHasher
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.parallel import ordered_map

SIGNATURES_TABLE = "fuzzy_signatures"

SIGNATURES_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("params", pa.string()),  # FuzzyParams.fingerprint(): signatures of other parameters are never mixed
        ("has_shingles", pa.bool_()),  # files without a single token never match anything
        ("signature", pa.binary()),  # num_perm little-endian unsigned integers
        ("band_keys", pa.list_(pa.int64())),  # one 64-bit key per band (uint64 stored as int64)
    ]
)


def signature_batch(texts: list[str], params: FuzzyParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signatures, has_shingles mask, band keys) of a batch of texts: the unit of parallel work."""
    hasher = MinHasher(params.num_perm, seed=params.seed, method=params.method)
    matrix, mask = hasher.signatures(texts, params.ngram)
    return matrix, mask, band_keys(matrix, params.bands, params.rows)


def _as_batch(doc_ids: list[str], params: FuzzyParams, result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pa.RecordBatch:
    matrix, mask, keys = result
    matrix = np.ascontiguousarray(matrix.astype(matrix.dtype.newbyteorder("<"), copy=False))
    signatures = [row.tobytes() for row in matrix]
    key_rows = keys.view(np.int64)
    band_lists = pa.ListArray.from_arrays(
        pa.array(np.arange(0, key_rows.size + 1, key_rows.shape[1], dtype=np.int32)), pa.array(key_rows.reshape(-1))
    )
    return pa.RecordBatch.from_arrays(
        [pa.array(doc_ids, pa.string()), pa.array([params.fingerprint()] * len(doc_ids)), pa.array(mask), pa.array(signatures, pa.binary()), band_lists],
        schema=SIGNATURES_SCHEMA,
    )


def _pending(lake: Lake, params: FuzzyParams, batch_docs: int) -> Iterator[tuple[list[str], list[str]]]:
    """(doc_ids, texts) of exact_dedup survivors without a signature for these parameters."""
    con = connect(lake)
    done = ""
    if lake.exists(SIGNATURES_TABLE):
        done = f"AND e.doc_id NOT IN (SELECT doc_id FROM {SIGNATURES_TABLE} WHERE params = $params)"
    reader = con.execute(
        f"SELECT e.doc_id, r.text FROM exact_dedup e JOIN raw_files r USING (doc_id) WHERE true {done} ORDER BY e.doc_id",
        {"params": params.fingerprint()} if done else {},
    ).to_arrow_reader(batch_docs)
    try:
        for batch in reader:
            yield batch.column("doc_id").to_pylist(), batch.column("text").to_pylist()
    finally:
        con.close()


def add_missing_signatures(
    lake: Lake, params: FuzzyParams, workers: int = 2, batch_docs: int = 1000, progress: Callable[[int], None] | None = None
) -> int:
    """Compute and append signatures for every file not yet signed; returns how many were added."""
    added = [0]

    def batches() -> Iterator[pa.RecordBatch]:
        work = ((doc_ids, texts) for doc_ids, texts in _pending(lake, params, batch_docs))
        for doc_ids, result in ordered_map(partial(signature_batch, params=params), work, workers):
            yield _as_batch(doc_ids, params, result)
            added[0] += len(doc_ids)
            if progress:
                progress(added[0])

    lake.write(SIGNATURES_TABLE, batches(), SIGNATURES_SCHEMA, partition_by=["params"], append=True)
    return added[0]
