"""HTTP bodies decoded as sent: chunked, gzip, deflate, br; bounded output against compression bombs."""

from __future__ import annotations

import gzip
import zlib

import brotli

from codelake.warc.http_body import content_codings, decode_body
from warcfactory import chunked

HTML = b"<html><body><pre>print('hello')</pre></body></html>" * 20


def test_each_coding_and_their_combination_decode_to_the_page():
    assert decode_body(gzip.compress(HTML), False, ["gzip"], 10_000).data == HTML
    assert decode_body(zlib.compress(HTML), False, ["deflate"], 10_000).data == HTML
    assert decode_body(zlib.compress(HTML)[2:-4], False, ["deflate"], 10_000).data == HTML  # raw deflate, as some servers send
    assert decode_body(brotli.compress(HTML), False, ["br"], 10_000).data == HTML
    assert decode_body(chunked(HTML, 7), True, [], 10_000).data == HTML
    assert decode_body(chunked(gzip.compress(HTML), 5), True, ["gzip"], 10_000).data == HTML
    assert decode_body(HTML, True, [], 10_000).data == HTML  # header says chunked, body already de-chunked
    assert content_codings(("gzip, identity", "br")) == ["gzip", "br"]


def test_broken_and_unknown_codings_are_problems_not_exceptions():
    assert "incorrect header" in decode_body(b"plain text", False, ["gzip"], 10_000).problem
    assert "truncated" in decode_body(gzip.compress(HTML)[:-20], False, ["gzip"], 10_000).problem
    assert "truncated" in decode_body(brotli.compress(HTML)[:-4], False, ["br"], 10_000).problem
    assert "unsupported" in decode_body(HTML, False, ["compress"], 10_000).problem


def test_a_compression_bomb_stops_at_the_limit():
    bomb = gzip.compress(b"\0" * 200_000_000)  # 200 MB in ~200 KB
    decoded = decode_body(bomb, False, ["gzip"], 1_000_000)
    assert decoded.over_limit and len(decoded.data) == 1_000_001 and "expands past" in decoded.problem
    brotli_bomb = brotli.compress(b"\0" * 200_000_000)
    decoded = decode_body(brotli_bomb, False, ["br"], 1_000_000)
    assert decoded.over_limit and len(decoded.data) <= 1_000_001
