"""Real WARC files written with warcio, as crawlers write them: WARC/1.1, a gzip member per record,
request + response + metadata records, warcinfo, revisits, and HTTP bodies with Content-Encoding and
chunked transfer coding as captured on the wire."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import brotli
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def page(title: str, body: str = "", code: str = "") -> str:
    pre = f"<pre><code>{code}</code></pre>" if code else ""
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{body}</p>{pre}</main></body></html>"


def chunked(data: bytes, size: int = 100) -> bytes:
    out = b"".join(b"%x\r\n" % len(data[i:i + size]) + data[i:i + size] + b"\r\n" for i in range(0, len(data), size))
    return out + b"0\r\n\r\n"


@dataclass
class Response:
    url: str
    body: bytes  # as on the wire (already compressed / chunked when the headers say so)
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "text/html; charset=utf-8")])
    status: str = "200 OK"
    when: datetime = T0

    @classmethod
    def html(cls, url: str, text: str, encoding: str = "", charset: str | None = "utf-8", when: datetime = T0, status: str = "200 OK"):
        data = text.encode(charset or "utf-8")
        content_type = "text/html" + (f"; charset={charset}" if charset else "")
        headers = [("Content-Type", content_type)]
        if encoding == "gzip":
            data = gzip.compress(data)
            headers.append(("Content-Encoding", "gzip"))
        elif encoding == "br":
            data = brotli.compress(data)
            headers.append(("Content-Encoding", "br"))
        elif encoding == "chunked":
            data = chunked(data)
            headers.append(("Transfer-Encoding", "chunked"))
        return cls(url, data, headers, status, when)


@dataclass
class Other:
    kind: str  # request | metadata | revisit | warcinfo
    url: str = "http://example.com/"


def write_warc(path: Path, records: list, gz: bool = True, with_request: bool = False) -> list[int]:
    """Write the records; return each record's byte offset (responses and others, in order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz, warc_version="1.1")
    offsets = []
    for record in records:
        if isinstance(record, Response):
            if with_request:
                writer.write_record(_request(writer, record.url))
            offsets.append(buffer.tell())
            http = StatusAndHeaders(record.status, record.headers, protocol="HTTP/1.1")
            warc = writer.create_warc_record(
                record.url, "response", payload=io.BytesIO(record.body), http_headers=http,
                warc_headers_dict={"WARC-Date": record.when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            writer.write_record(warc)
        else:
            offsets.append(buffer.tell())
            writer.write_record(_other(writer, record))
    path.write_bytes(buffer.getvalue())
    return offsets


def _request(writer: WARCWriter, url: str):
    http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True)
    return writer.create_warc_record(url, "request", http_headers=http)


def _other(writer: WARCWriter, other: Other):
    if other.kind == "request":
        return _request(writer, other.url)
    if other.kind == "warcinfo":
        return writer.create_warcinfo_record("crawl.warc.gz", {"software": "codelake tests", "format": "WARC File Format 1.1"})
    if other.kind == "metadata":
        return writer.create_warc_record(other.url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 12\r\n"),
                                         warc_content_type="application/warc-fields")
    if other.kind == "revisit":
        http = StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1")
        return writer.create_revisit_record(other.url, "sha1:AAAA", "http://example.com/", T0.strftime("%Y-%m-%dT%H:%M:%SZ"), http_headers=http)
    raise ValueError(other.kind)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
