"""One WARC response record -> a page row, or the reason it is not a page.

Judged in this order, each step only when the previous passed: the record's integrity (digest, URL,
size from its header), the HTTP status line and headers, the status, the media type, the body's
transfer and content codings, then its charset.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fastwarc.warc import HeaderMap
from resiliparse.parse.encoding import detect_mime

from codelake.ids import doc_id
from codelake.warc.charset import decode_page
from codelake.warc.domains import normalized_host, registered_domain
from codelake.warc.http_body import content_codings, decode_body
from codelake.warc.records import ResponseRecord
from codelake.web_pages.rules import WebIngestRules

_SNIFF_BYTES = 1024


@dataclass(frozen=True)
class PageDecision:
    doc_id: str
    url: str
    domain: str
    size: int  # bytes judged: the decoded payload when known, else the record's block
    reason: str | None  # None: kept
    detail: str
    row: dict | None


def page_doc_id(dump: str, warc_file: str, offset: int) -> str:
    return doc_id(dump, warc_file, f"@{offset}")


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _charset_param(value: str | None) -> str | None:
    for part in (value or "").split(";")[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == "charset":
            return val.strip() or None
    return None


def judge_response(record: ResponseRecord, dump: str, rules: WebIngestRules) -> PageDecision:
    doc = page_doc_id(dump, record.file, record.offset)
    where = f"{record.file} @ byte {record.offset}"
    url = record.url
    host = normalized_host(url)
    domain = registered_domain(host)

    def drop(reason: str, detail: str, size: int) -> PageDecision:
        return PageDecision(doc, url, domain, size, reason, f"{where}: {detail}", None)

    if record.digest_ok is False:
        return drop("malformed_record", "WARC-Block-Digest does not match the block (damaged, or its Content-Length is wrong)", record.declared_length)
    if not url or not host:
        return drop("malformed_record", f"response without a usable WARC-Target-URI ({url!r})", record.declared_length)
    if record.block is None:
        return drop("too_large", f"record block of {record.declared_length} bytes > max_record_bytes {rules.max_record_bytes} (not read)", record.declared_length)
    headers = HeaderMap()
    try:
        header_bytes = headers.parse(io.BytesIO(record.block))
    except (OSError, ValueError) as err:
        return drop("malformed_record", f"HTTP headers unparsable: {err}", record.declared_length)
    status = headers.status_code
    if status is None:
        return drop("malformed_record", "no HTTP status line", record.declared_length)
    body = record.block[header_bytes:]
    if status not in rules.keep_statuses:
        return drop("non_200", f"HTTP {status} {headers.reason_phrase or ''}".rstrip(), len(body))
    content_type_header = headers.get("Content-Type")
    media = _media_type(content_type_header)
    sniffed = ""
    if not media:
        sniffed = detect_mime(body[:_SNIFF_BYTES])
        media = sniffed
    if media not in rules.html_media_types:
        return drop("non_html", f"Content-Type {media or 'missing'}" + (" (sniffed)" if sniffed else ""), len(body))
    chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
    codings = content_codings(headers.get_multiple("Content-Encoding"))
    decoded = decode_body(body, chunked, codings, rules.max_payload_bytes)
    if decoded.problem is not None:
        if decoded.over_limit:
            return drop("too_large", f"payload > max_payload_bytes {rules.max_payload_bytes}: {decoded.problem}", len(body))
        return drop("undecodable", decoded.problem, len(body))
    payload = decoded.data
    if not payload.strip():
        return drop("empty", "no payload after decoding", 0)
    text = decode_page(payload, _charset_param(content_type_header), rules.detect_bytes, rules.max_replaced_share)
    if text.problem is not None:
        return drop("undecodable", text.problem, len(payload))
    nul = text.text.find("\0")
    if nul >= 0:
        return drop("undecodable", f"NUL character at position {nul}: binary content labelled {media}", len(payload))
    row = {
        "doc_id": doc,
        "url": url,
        "host": host,
        "domain": domain,
        "fetch_time": record.fetch_time,
        "status": status,
        "content_type": media,
        "payload_bytes": len(payload),
        "encoding": text.encoding,
        "charset_source": text.source,
        "content_encoding": ", ".join(codings),
        "warc_file": record.file,
        "warc_offset": record.offset,
        "warc_record_id": record.record_id,
        "html": text.text,
    }
    return PageDecision(doc, url, domain, len(payload), None, "", row)
