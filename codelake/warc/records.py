"""WARC records read with fastwarc, one event per record, surviving damage.

Every record becomes one event: a `ResponseRecord` (its block read, bounded by `max_block_bytes`), an
`OtherRecord` (request, metadata, revisit, warcinfo, ...: counted, never errors) or `Damage`, which
names the file and byte offset. When fastwarc cannot go on (a corrupt gzip member, a header that is not
WARC, a Content-Length that runs into the next record), the unreadable bytes become one `Damage` and
reading resumes at the next record that parses (codelake.warc.resync), so the rest of the file is
still read. A record cut short (a truncated file) is `Damage` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastwarc.warc import ArchiveIterator

from codelake.warc.resync import is_gzip_file, next_record_start, record_end


@dataclass(frozen=True)
class ResponseRecord:
    file: str
    offset: int
    url: str
    fetch_time: datetime | None
    record_id: str | None
    declared_length: int  # the record's Content-Length: HTTP headers + body as captured
    block: bytes | None  # None: larger than max_block_bytes, not read
    digest_ok: bool | None  # WARC-Block-Digest checked (None: the record has none, or it was not checked)
    truncated_by_crawler: str | None  # WARC-Truncated: the crawler stored only part of the body


@dataclass(frozen=True)
class OtherRecord:
    file: str
    offset: int
    record_type: str


@dataclass(frozen=True)
class Damage:
    file: str
    offset: int
    problem: str
    url: str = ""


WarcEvent = ResponseRecord | OtherRecord | Damage


def _event(record, name: str, max_block_bytes: int, verify_digests: bool) -> WarcEvent:
    offset = record.stream_pos
    headers = record.headers
    kind = headers.get("WARC-Type")
    declared = headers.get("Content-Length")
    url = headers.get("WARC-Target-URI") or ""
    if not kind or declared is None or not declared.strip().isdigit():
        return Damage(name, offset, "record header without WARC-Type or a valid Content-Length (file truncated?)", url)
    if kind.strip().lower() != "response":
        return OtherRecord(name, offset, kind.strip().lower())
    declared_length = int(declared)
    block, digest_ok = None, None
    if declared_length <= max_block_bytes:
        if verify_digests and headers.get("WARC-Block-Digest"):
            digest_ok = record.verify_block_digest(consume=False)
        block = record.reader.read(declared_length + 1)
        if len(block) < declared_length:
            return Damage(name, offset, f"record cut short: {len(block)} of {declared_length} declared bytes (file truncated?)", url)
    return ResponseRecord(
        name,
        offset,
        url.strip().strip("<>"),  # WARC/1.0 writers put the URI in angle brackets
        record.record_date if headers.get("WARC-Date") else None,
        headers.get("WARC-Record-ID"),
        declared_length,
        block,
        digest_ok,
        headers.get("WARC-Truncated"),
    )


def read_warc(path: str | Path, name: str, max_block_bytes: int, verify_digests: bool = True) -> Iterator[WarcEvent]:
    """Every record of one WARC file (`name`: how details refer to it) as events, in file order.

    Each event is held back until the next record parses, so a record whose Content-Length turns out to
    run into the next record (or past its own gzip member) is reported as Damage, not as a page."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return
    gz = is_gzip_file(path)
    start: int | None = 0
    while start is not None:
        pending: WarcEvent | None = None
        try:
            with open(path, "rb") as f:
                f.seek(start)
                for record in ArchiveIterator(f, parse_http=False):
                    event = _event(record, name, max_block_bytes, verify_digests)
                    if pending is not None:
                        yield pending
                    pending = event
            if pending is not None:
                yield pending
            return
        except (OSError, ValueError) as err:
            error = f"{type(err).__name__}: {err}"
        if pending is None:
            damage_start = start
            resume = next_record_start(path, start + 1, gz)
        else:
            damage_start = min(record_end(path, pending.offset, gz), size)
            resume = next_record_start(path, pending.offset + 1, gz)
            if resume is not None and resume <= damage_start:
                # The bytes fastwarc choked on belong to the pending record: its length is wrong.
                yield Damage(
                    name,
                    pending.offset,
                    f"{error} after this record: its Content-Length does not match its extent "
                    f"(the next record starts at byte {resume}); reading resumed there",
                    getattr(pending, "url", ""),
                )
                start = resume
                continue
            yield pending
        if resume is None:
            yield Damage(name, damage_start, f"{error}; the rest of the file ({size - damage_start} bytes) holds no readable record")
        else:
            yield Damage(name, damage_start, f"{error}; {resume - damage_start} bytes skipped, reading resumed at byte {resume}")
        start = resume
