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


def _decode_eagerly(data, header_charset, detect_bytes=65536, max_replaced_share=0.01):
    """The reference: every candidate computed up front (both resiliparse detections on every page), the
    first that decodes strictly wins. decode_page computes them lazily and must agree on every page."""
    import codecs

    from resiliparse.parse.encoding import detect_encoding

    from codelake.warc.charset import DecodedText, _codec, _strict

    if data.startswith(codecs.BOM_UTF8):
        data, header_charset = data[3:], "utf-8"
    candidates = [(_codec(header_charset), "header")] if _codec(header_charset) else []
    with_meta = detect_encoding(data, max_len=detect_bytes, from_html_meta=True)
    detected = detect_encoding(data, max_len=detect_bytes, from_html_meta=False)
    if with_meta != detected or b"charset" in data[:1024].lower():
        candidates.append((with_meta, "meta"))
    candidates.append((detected, "detected"))
    for encoding, source in candidates:
        if (text := _strict(data, encoding)) is not None:
            return DecodedText(text, encoding, source)
    encoding, source = candidates[0]
    text = data.decode(encoding, errors="replace")
    replaced = text.count("\ufffd") / max(len(text), 1)
    if replaced > max_replaced_share:
        tried = ", ".join(f"{e} ({s})" for e, s in candidates)
        return DecodedText("", encoding, source, f"no charset fits the bytes (tried {tried}); {replaced:.1%} of characters unreadable")
    return DecodedText(text, encoding, f"{source}-lossy")


def test_lazy_candidates_decide_as_computing_every_candidate_does():
    filler = "<!-- " + "x" * 1100 + " -->"  # pushes a meta tag past the first KB, where it is not read
    bodies = {
        "utf-8": RUSSIAN.encode("utf-8"),
        "cp1251": RUSSIAN.encode("cp1251"),
        "shift_jis": JAPANESE.encode("shift_jis"),
        "meta cp1251": ('<meta charset="windows-1251">' + RUSSIAN).encode("cp1251"),
        "meta lies": ('<meta charset="utf-8">' + RUSSIAN).encode("cp1251"),
        "http-equiv": ('<meta http-equiv="Content-Type" content="text/html; CHARSET=koi8-r">' + RUSSIAN).encode("koi8-r"),
        "meta too late": (filler + '<meta charset="windows-1251">' + RUSSIAN).encode("cp1251"),
        "charset in text": ("<p>charset is a word here</p>" + RUSSIAN).encode("cp1251"),
        "bom": b"\xef\xbb\xbf" + RUSSIAN.encode("utf-8"),
        "garbage": b"\x81\x8d\x8f\x90\x9d" * 200,
        "one bad byte": RUSSIAN.encode("utf-8") * 20 + b"\xff",
        "ascii": b"<html><body>plain</body></html>",
    }
    for name, data in bodies.items():
        for header in (None, "utf-8", "windows-1251", "shift_jis", "no-such-charset", '"ISO-8859-1"'):
            assert decode_page(data, header, 65536, 0.01) == _decode_eagerly(data, header), (name, header)
