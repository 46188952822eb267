"""Charset: the HTTP header, else the meta tag, else detection; undecodable bytes are a problem."""

from __future__ import annotations

from codelake.warc.charset import decode_page

RUSSIAN = "<html><body><p>Привет, мир! Это страница о программировании на языке Python и о базах данных.</p></body></html>"
JAPANESE = "<html><body><p>これは日本語のページです。プログラミングについて説明します。データベースの使い方も書きます。</p></body></html>"


def _decode(data, header=None):
    return decode_page(data, header, 65536, 0.01)


def test_declared_charset_in_the_header_is_used():
    result = _decode(RUSSIAN.encode("cp1251"), "windows-1251")
    assert (result.text, result.encoding, result.source) == (RUSSIAN, "cp1251", "header")


def test_a_meta_tag_declares_the_charset_when_the_header_does_not():
    html = '<html><head><meta charset="windows-1251"></head>' + RUSSIAN[6:]
    result = _decode(html.encode("cp1251"))
    assert result.text == html and result.source == "meta"


def test_without_any_declaration_the_charset_is_detected():
    result = _decode(JAPANESE.encode("shift_jis"))
    assert result.text == JAPANESE and result.source == "detected"
    result = _decode(RUSSIAN.encode("cp1251"))
    assert result.text == RUSSIAN and result.source == "detected"


def test_a_wrong_header_falls_back_and_latin1_is_read_as_browsers_do():
    result = _decode(JAPANESE.encode("shift_jis"), "utf-8")  # the header lies
    assert result.text == JAPANESE and result.source != "header"
    assert _decode("café".encode("cp1252"), "iso-8859-1").encoding == "cp1252"


def test_bytes_no_charset_fits_are_undecodable_and_a_few_bad_bytes_are_replaced():
    garbage = b"\x81\x8d\x8f\x90\x9d" * 200  # bytes that no candidate (utf-8, windows-1252) reads
    result = decode_page(garbage, "utf-8", 65536, 0.01)
    assert result.text == "" and "100.0% of characters unreadable" in result.problem
    mostly = RUSSIAN.encode("utf-8") * 20 + b"\xff"  # one stray byte in 1,800 characters
    result = decode_page(mostly, "utf-8", 65536, 0.01)
    assert result.problem is None and result.source.endswith("-lossy") and result.text.count("\ufffd") == 1
