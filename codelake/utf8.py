"""UTF-8 bytes of Arrow string columns as numpy views, for the numba kernels that walk them in place."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def utf8_buffers(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes and per-text offsets of an Arrow string column, without copying (text d is
    data[starts[d]:starts[d+1]]; a null text reads as empty)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.large_string())
    offset_type = np.int32 if pa.types.is_string(column.type) else np.int64
    _validity, offsets, data = column.buffers()
    starts = np.frombuffer(offsets, dtype=offset_type)[column.offset : column.offset + len(column) + 1]
    return (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)), starts
