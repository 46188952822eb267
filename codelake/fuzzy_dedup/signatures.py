"""MinHash signatures and LSH band keys of the files that survived exact dedup, computed once per file.

Incremental: a file's signature is computed the first time it reaches fuzzy dedup with given parameters
and appended to `fuzzy_signatures`; later dumps only add theirs. Texts stream from `raw_files` in Arrow
batches (read ahead in a background thread) and their UTF-8 buffers are hashed in place by the numba
kernel, one batch per worker thread (`signature_batch` is the pure unit of work; on a cluster each batch is a
Ray task, codelake.compute).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import duckdb
import numpy as np
import pyarrow as pa

from codelake.fuzzy_dedup.config import FuzzyParams
from codelake.fuzzy_dedup.lsh import band_keys
from codelake.fuzzy_dedup.minhash import MinHasher
from codelake.lake import Lake
from codelake.lake.prefetch import prefetched
from codelake.lake.sql import refresh_views
from codelake.compute import TableOutput, batch_map
from codelake.utf8 import utf8_buffers

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


def signature_batch(texts: pa.Array, params: FuzzyParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signatures, has_shingles mask, band keys) of a batch of texts: the unit of parallel work.
    One-permutation signatures hash the Arrow buffers in place."""
    hasher = MinHasher(params.num_perm, seed=params.seed, method=params.method)
    if params.method == "oph":
        matrix, mask = hasher.signatures_utf8(*utf8_buffers(texts), params.ngram)
    else:
        matrix, mask = hasher.signatures(texts.to_pylist(), params.ngram)
    return matrix, mask, band_keys(matrix, params.bands, params.rows)


def signature_rows(doc_ids: list[str], params: FuzzyParams, result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pa.RecordBatch:
    matrix, mask, keys = result
    matrix = np.ascontiguousarray(matrix.astype(matrix.dtype.newbyteorder("<"), copy=False))
    width = matrix.shape[1] * matrix.itemsize
    offsets = np.arange(0, matrix.shape[0] * width + 1, width, dtype=np.int32)
    signatures = pa.Array.from_buffers(pa.binary(), len(doc_ids), [None, pa.py_buffer(offsets), pa.py_buffer(matrix)])
    key_rows = keys.view(np.int64)
    band_lists = pa.ListArray.from_arrays(
        pa.array(np.arange(0, key_rows.size + 1, key_rows.shape[1], dtype=np.int32)), pa.array(key_rows.reshape(-1))
    )
    return pa.RecordBatch.from_arrays(
        [pa.array(doc_ids, pa.string()), pa.array([params.fingerprint()] * len(doc_ids)), pa.array(mask), signatures, band_lists],
        schema=SIGNATURES_SCHEMA,
    )


def signature_table(batch: tuple[list[str], pa.Array], params: FuzzyParams) -> pa.RecordBatch:
    """SIGNATURES_SCHEMA rows of one batch of (doc_ids, texts)."""
    doc_ids, texts = batch
    return signature_rows(doc_ids, params, signature_batch(texts, params))


def _pending(con: duckdb.DuckDBPyConnection, params: FuzzyParams, signed_before: bool, batch_docs: int) -> Iterator[tuple[list[str], pa.Array]]:
    """(doc_ids, texts) of exact_dedup survivors without a signature for these parameters, read through `con`
    (a cursor of the lake connection, closed at the end)."""
    done = f"AND e.doc_id NOT IN (SELECT doc_id FROM {SIGNATURES_TABLE} WHERE params = $params)" if signed_before else ""
    # Streamed in storage order: an ORDER BY would sort (hold or spill) every text; signatures are per file.
    reader = con.execute(
        f"SELECT e.doc_id, r.text FROM exact_dedup e JOIN raw_files r USING (doc_id) WHERE true {done}",
        {"params": params.fingerprint()} if done else {},
    ).to_arrow_reader(batch_docs)
    try:
        for batch in reader:
            yield batch.column("doc_id").to_pylist(), batch.column("text")
    finally:
        con.close()


def add_missing_signatures(
    lake: Lake,
    con: duckdb.DuckDBPyConnection,
    params: FuzzyParams,
    workers: int = 2,
    batch_docs: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Compute and append signatures for every file not yet signed; returns how many were added. `con` is a
    lake connection (codelake.lake.sql.connect); its views include the signatures table afterwards."""
    added = [0]
    pending = _pending(con.cursor(), params, lake.exists(SIGNATURES_TABLE), batch_docs)

    def batches() -> Iterator[pa.RecordBatch]:
        # One batch per thread, up to `workers` batches hashing while this thread encodes and writes the last
        # one's Parquet and the prefetch thread reads the next texts: every stage keeps a core busy.
        output = TableOutput.of(lake, SIGNATURES_TABLE, SIGNATURES_SCHEMA, ["params"])
        work = ((None, batch) for batch in prefetched(pending))
        for _, rows in batch_map(partial(signature_table, params=params), work, workers, threads=True, output=output):
            yield rows
            added[0] += rows.num_rows
            if progress:
                progress(added[0])

    lake.write(SIGNATURES_TABLE, batches(), SIGNATURES_SCHEMA, partition_by=["params"], append=True)
    refresh_views(con, lake)
    return added[0]
