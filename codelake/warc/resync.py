"""Finding where WARC records begin and end in a damaged file, so reading can resume past the damage.

A `.warc.gz` is a series of gzip members, one record each (the WARC spec's recommendation, followed by
every major crawler): a record ends where its member ends, and the next record starts at a gzip header
that opens a parsable record. In an uncompressed `.warc` a record starts with a `WARC/1.x` line; it
ends after its header block, Content-Length bytes and the closing blank line. A candidate start is
accepted only when fastwarc parses a record there, so bytes that merely look like a header (a page
about WARC files) do not split a record.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from fastwarc.warc import ArchiveIterator

_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = re.compile(rb"(?:^|\n)(WARC/1\.[01]\r?\n)")
_SCAN = 1 << 20
_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def is_gzip_file(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC[:2]


def parses_as_record(path: Path, offset: int) -> bool:
    """A WARC record with a type and a Content-Length can be read at `offset`."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            record = next(iter(ArchiveIterator(f, parse_http=False)), None)
            return record is not None and bool(record.headers.get("WARC-Type")) and record.headers.get("Content-Length") is not None
    except (OSError, ValueError):
        return False


def _candidates(path: Path, start: int, gz: bool):
    with open(path, "rb") as f:
        position = start
        while True:
            f.seek(position)
            chunk = f.read(_SCAN + 16)
            if not chunk:
                return
            if gz:
                found = chunk.find(_GZIP_MAGIC)
                while 0 <= found < _SCAN:
                    yield position + found
                    found = chunk.find(_GZIP_MAGIC, found + 1)
            else:
                for match in _WARC_LINE.finditer(chunk):
                    at = position + match.start(1)
                    if match.start(1) < _SCAN and (at > 0 or match.start(1) == 0) and at >= start:
                        yield at
            if len(chunk) <= _SCAN:
                return
            position += _SCAN


def next_record_start(path: Path, start: int, gz: bool) -> int | None:
    """The first offset >= `start` where a whole record can be parsed, or None."""
    for candidate in _candidates(path, start, gz):
        if parses_as_record(path, candidate):
            return candidate
    return None


def record_end(path: Path, offset: int, gz: bool) -> int:
    """Where the record starting at `offset` ends (its gzip member's end; for an uncompressed record, after
    its declared Content-Length and blank line). `offset + 1` when that cannot be told."""
    with open(path, "rb") as f:
        f.seek(offset)
        if gz:
            inflater, consumed = zlib.decompressobj(31), 0
            try:
                while not inflater.eof:
                    chunk = f.read(1 << 16)
                    if not chunk:
                        return offset + max(consumed, 1)
                    inflater.decompress(chunk, 1 << 20)
                    while inflater.unconsumed_tail and not inflater.eof:
                        inflater.decompress(inflater.unconsumed_tail, 1 << 20)
                    consumed += len(chunk)
            except zlib.error:
                return offset + 1
            return offset + consumed - len(inflater.unused_data)
        head = f.read(1 << 16)
        end_of_headers = head.find(b"\r\n\r\n")
        length = _CONTENT_LENGTH.search(head, 0, max(end_of_headers, 0))
        if end_of_headers < 0 or length is None:
            return offset + 1
        return offset + end_of_headers + 4 + int(length.group(1)) + 4
