"""utf8_buffers: numpy views of an Arrow string column's bytes, offsets into them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from codelake.utf8 import utf8_buffers


def _texts(data: np.ndarray, starts: np.ndarray) -> list[str]:
    return [bytes(data[starts[i] : starts[i + 1]]).decode() for i in range(starts.size - 1)]


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string()])
def test_views_of_sliced_columns_with_nulls(arrow_type):
    column = pa.array(["ab", "ü€", None, "", "x y"], arrow_type).slice(1)
    data, starts = utf8_buffers(column)
    assert _texts(data, starts) == ["ü€", "", "", "x y"]
    assert starts.dtype == (np.int32 if arrow_type == pa.string() else np.int64)
    assert np.shares_memory(data, np.frombuffer(column.buffers()[2], dtype=np.uint8))  # no copy


def test_other_string_types_are_cast():
    column = pa.array(["a", "bc"], pa.string_view())
    assert _texts(*utf8_buffers(column)) == ["a", "bc"]


def test_all_empty_column():
    data, starts = utf8_buffers(pa.array(["", None], pa.string()))
    assert data.size == 0 and starts.tolist() == [0, 0, 0]
