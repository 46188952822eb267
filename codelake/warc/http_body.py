"""An HTTP response body as the server meant it: chunked transfer coding removed, then each
Content-Encoding undone (gzip, x-gzip, deflate, br, identity), never producing more than a limit.

Output is bounded at every step (zlib's `max_length`, Brotli's `output_buffer_limit`, a bounded read
of fastwarc's ChunkedReader), so a compression bomb costs `limit` bytes of memory, not its expansion.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import brotli
from fastwarc.stream_io import ChunkedReader

_GZIP_WBITS = 47  # zlib: gzip or zlib header, detected
_CHUNK = 1 << 16


@dataclass(frozen=True)
class DecodedBody:
    data: bytes  # at most limit + 1 bytes: one more than the limit means "too large"
    problem: str | None = None  # why the body cannot be decoded (None: decoded)
    over_limit: bool = False


def _unchunk(body: bytes, limit: int) -> bytes:
    return ChunkedReader(io.BytesIO(body)).read(limit + 1)


def _inflate(data: bytes, limit: int, wbits: int) -> tuple[bytes, bool]:
    """(decoded bytes up to limit + 1, the stream ended properly)."""
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(data, limit + 1)
    return out, inflater.eof


def _gunzip(data: bytes, limit: int) -> tuple[bytes, bool]:
    return _inflate(data, limit, _GZIP_WBITS)


def _deflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    # "deflate" is zlib-wrapped by the standard, raw deflate by many servers: try both.
    try:
        return _inflate(data, limit, zlib.MAX_WBITS)
    except zlib.error:
        return _inflate(data, limit, -zlib.MAX_WBITS)


def _unbrotli(data: bytes, limit: int) -> tuple[bytes, bool]:
    decoder = brotli.Decompressor()
    parts, size = [decoder.process(data, output_buffer_limit=limit + 1)], 0
    size = len(parts[0])
    while size <= limit and not decoder.is_finished() and not decoder.can_accept_more_data():
        part = decoder.process(b"", output_buffer_limit=limit + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)[: limit + 1], decoder.is_finished()


_DECODERS = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _deflate, "br": _unbrotli}


def content_codings(header_values: tuple[str, ...]) -> list[str]:
    """The codings of Content-Encoding header(s) in the order applied, identity left out."""
    codings = []
    for value in header_values:
        codings += [c.strip().lower() for c in value.split(",") if c.strip()]
    return [c for c in codings if c != "identity"]


def decode_body(body: bytes, chunked: bool, codings: list[str], limit: int) -> DecodedBody:
    """Undo the transfer coding, then the content codings in reverse order of application."""
    data = body
    if chunked:
        try:
            data = _unchunk(body, limit if not codings else max(limit, len(body)))
        except OSError:
            # Crawlers often store the body already de-chunked but keep the header (as warcio assumes too).
            data = body
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            return DecodedBody(b"", f"unsupported Content-Encoding {coding!r}")
        try:
            data, ended = decoder(data, limit)
        except (zlib.error, brotli.error) as err:
            return DecodedBody(b"", f"Content-Encoding {coding}: {err}")
        if len(data) > limit:
            return DecodedBody(data, f"Content-Encoding {coding} expands past {limit} bytes (from {len(body)} bytes)", over_limit=True)
        if not ended:
            return DecodedBody(b"", f"Content-Encoding {coding}: the compressed stream is truncated ({len(data)} bytes decoded)")
    if len(data) > limit:
        return DecodedBody(data[: limit + 1], f"{len(data)} bytes > {limit}", over_limit=True)
    return DecodedBody(data)
