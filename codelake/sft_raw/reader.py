"""Records of one instruction file, bad ones included, each with its position in the file.

JSONL (optionally gzipped) is read in fixed-size chunks: a line longer than `max_line_bytes` is skipped
as it streams (never held in memory) and reported as `oversized` with its line number; a line that is
not UTF-8 or not JSON is reported with its line number and the rest of the file is read. A `.json`
file holds one array of records. A Parquet file is read batch by batch; one whose columns match no chat
format reports each row as `wrong_schema`. A file that cannot be opened at all (a corrupt Parquet
footer, a `.json` that is not JSON) is an `InstructionSetError` naming it: nothing of the set is written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from codelake.sft_raw.formats import Rejection
from codelake.sft_raw.landing import InstructionSetError

CHUNK_BYTES = 1 << 20
PARQUET_FORMAT_COLUMNS = ({"messages"}, {"conversations"}, {"instruction", "output"}, {"prompt", "completion"})


@dataclass(frozen=True)
class RawRecord:
    position: int  # line (JSONL), row (Parquet) or array index (JSON), from 1
    record: object = None
    rejection: Rejection | None = None


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def jsonl_lines(path: Path, max_line_bytes: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line's bytes or None when over `max_line_bytes`, its size) for every line that is
    not blank. Memory is bounded by the chunk size plus `max_line_bytes`."""
    buffer = bytearray()
    skipped = 0  # bytes of the current line already thrown away (it is over the limit)
    number = 1

    def finish():
        nonlocal skipped
        size = skipped or len(buffer)
        line = None if skipped else bytes(buffer)
        buffer.clear()
        skipped = 0
        return line, size

    try:
        with _open(path) as handle:
            while chunk := handle.read(CHUNK_BYTES):
                start = 0
                while True:
                    end = chunk.find(b"\n", start)
                    piece = chunk[start:] if end < 0 else chunk[start:end]
                    if skipped:
                        skipped += len(piece)
                    elif len(buffer) + len(piece) > max_line_bytes:
                        skipped = len(buffer) + len(piece)
                        buffer.clear()
                    else:
                        buffer += piece
                    if end < 0:
                        break
                    line, size = finish()
                    if line is None or line.strip():
                        yield number, line, size
                    number += 1
                    start = end + 1
            line, size = finish()
            if line is None or line.strip():
                yield number, line, size
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise InstructionSetError(f"{path}: cannot read past line {number}: {err}") from err


def _jsonl_records(path: Path, max_line_bytes: int) -> Iterator[RawRecord]:
    for number, line, size in jsonl_lines(path, max_line_bytes):
        if line is None:
            yield RawRecord(number, rejection=Rejection("oversized", f"line of {size} bytes > max_line_bytes {max_line_bytes} (rules/sft/raw.yaml)"))
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            yield RawRecord(number, rejection=Rejection("invalid_utf8", f"byte {err.start} of the line is not UTF-8 ({line[err.start:err.start + 1]!r})"))
            continue
        try:
            yield RawRecord(number, json.loads(text))
        except json.JSONDecodeError as err:
            yield RawRecord(number, rejection=Rejection("malformed_json", f"line {number}, column {err.colno}: {err.msg}"))
        except RecursionError:
            yield RawRecord(number, rejection=Rejection("malformed_json", f"line {number}: nested too deeply"))


def _json_array_records(path: Path) -> Iterator[RawRecord]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise InstructionSetError(f"{path}: not a JSON file of records (use .jsonl for one record per line): {err}") from err
    if not isinstance(data, list):
        raise InstructionSetError(f"{path}: a .json file must hold one array of records, got a {type(data).__name__}")
    for index, record in enumerate(data, 1):
        yield RawRecord(index, record)


def _parquet_file(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ...: all mean "not a readable Parquet file"
        raise InstructionSetError(f"{path}: not a readable Parquet file: {err}") from err


def _parquet_records(path: Path) -> Iterator[RawRecord]:
    parquet = _parquet_file(path)
    columns = set(parquet.schema_arrow.names)
    matching = any(needed <= columns for needed in PARQUET_FORMAT_COLUMNS)
    why = Rejection(
        "wrong_schema",
        f"{path.name}: columns ({', '.join(sorted(columns)[:12])}) match no chat format: messages, conversations, "
        "instruction+output, prompt+completion",
    )
    position = 0
    try:
        for batch in parquet.iter_batches(batch_size=1024, columns=None if matching else [parquet.schema_arrow.names[0]]):
            for record in batch.to_pylist() if matching else range(batch.num_rows):
                position += 1
                yield RawRecord(position, record) if matching else RawRecord(position, rejection=why)
    except OSError as err:
        raise InstructionSetError(f"{path}: cannot read past row {position}: {err}") from err


def read_records(path: Path, max_line_bytes: int) -> Iterator[RawRecord]:
    if path.name.endswith(".parquet"):
        return _parquet_records(path)
    if path.name.endswith(".json"):
        return _json_array_records(path)
    return _jsonl_records(path, max_line_bytes)


def count_records(path: Path, max_line_bytes: int) -> int:
    """How many records a file holds (for the conservation check): non-blank lines, array items, rows."""
    if path.name.endswith(".parquet"):
        return _parquet_file(path).metadata.num_rows
    if path.name.endswith(".json"):
        return sum(1 for _ in _json_array_records(path))
    return sum(1 for _ in jsonl_lines(path, max_line_bytes))
