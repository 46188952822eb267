"""web_pages over real WARC files: rows, drops with reasons, the newest fetch of a URL, conservation."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codelake.checks import conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.web_pages import WebDumpError, run_web_pages
from warcfactory import Other, Response, later, page, write_warc

ROOT = Path(__file__).resolve().parents[3]


def _lineage(lake: Lake) -> dict[str, tuple[str, str]]:
    con = connect(lake)
    try:
        return {path: (reason, detail) for path, reason, detail in con.execute("SELECT path, reason, detail FROM lineage WHERE stage = 'web_pages'").fetchall()}
    finally:
        con.close()


def _rows(lake: Lake) -> dict[str, dict]:
    con = connect(lake)
    try:
        table = con.execute("SELECT * FROM web_pages").to_arrow_table()
    finally:
        con.close()
    return {row["url"]: row for row in table.to_pylist()}


def _conserved(lake: Lake, report, dump: str) -> None:
    counted = conservation(lake, "web_pages", report.version, report.rows_in, dump)
    assert counted.holds, counted
    assert duplicate_doc_ids(lake, "web_pages", report.version) == 0


def test_pages_their_columns_and_every_drop_reason(tmp_path):
    crawl = tmp_path / "crawl-1"
    write_warc(crawl / "a.warc.gz", [
        Other("warcinfo"),
        Response.html("https://Docs.Python.example/3/tutorial/", page("Tutorial", "Python tutorial", "print(1)"), "gzip"),
        Other("metadata"),
        Response.html("https://docs.python.example/3/br", page("Brotli"), "br"),
        Response.html("https://docs.python.example/3/chunked", page("Chunked"), "chunked"),
        Response.html("https://docs.python.example/missing", page("Not found"), status="404 Not Found"),
        Response("https://docs.python.example/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, [("Content-Type", "image/png")]),
        Response("https://docs.python.example/bomb", gzip.compress(b" " * 20_000_000), [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
        Response("https://docs.python.example/broken", b"this is not gzip", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
        Response("https://docs.python.example/binary", b"<html>\0\0\0\x01\x02" * 50, [("Content-Type", "text/html")]),
        Response("https://docs.python.example/empty", b"", [("Content-Type", "text/html")]),
        Response("https://docs.python.example/sniffed", page("No content type").encode(), []),
        Other("revisit"),
    ], with_request=True)
    write_warc(crawl / "sub" / "b.warc", [
        Response.html("http://wiki.other.example/Main_Page", page("Вики", "Добро пожаловать в энциклопедию, которую может редактировать каждый."), charset="windows-1251"),
        Response("http://wiki.other.example/nocharset", page("Вики", "Добро пожаловать в энциклопедию, которую может редактировать каждый.").encode("cp1251"), [("Content-Type", "text/html")]),
    ], gz=False)
    lake = Lake(tmp_path / "lake")
    report = run_web_pages(lake, crawl)
    assert report.stage == "web_pages" and report.version == 0
    _conserved(lake, report, "crawl-1")
    rows = _rows(lake)
    assert sorted(rows) == sorted([
        "https://Docs.Python.example/3/tutorial/", "https://docs.python.example/3/br", "https://docs.python.example/3/chunked",
        "https://docs.python.example/sniffed", "http://wiki.other.example/Main_Page", "http://wiki.other.example/nocharset",
    ])
    tutorial = rows["https://Docs.Python.example/3/tutorial/"]
    assert (tutorial["host"], tutorial["domain"], tutorial["status"], tutorial["content_type"]) == ("docs.python.example", "python.example", 200, "text/html")
    assert tutorial["content_encoding"] == "gzip" and "<pre><code>print(1)</code></pre>" in tutorial["html"]
    assert tutorial["warc_file"] == "a.warc.gz" and tutorial["dump"] == "crawl-1" and str(tutorial["fetch_time"]).startswith("2024-03-01 12:00:00")
    assert rows["https://docs.python.example/3/br"]["content_encoding"] == "br"
    assert "Chunked" in rows["https://docs.python.example/3/chunked"]["html"]
    assert rows["http://wiki.other.example/Main_Page"]["charset_source"] == "header" and "Добро" in rows["http://wiki.other.example/Main_Page"]["html"]
    assert rows["http://wiki.other.example/nocharset"]["charset_source"] == "detected" and "Добро" in rows["http://wiki.other.example/nocharset"]["html"]
    assert rows["https://docs.python.example/sniffed"]["content_type"] == "text/html"
    drops = _lineage(lake)
    assert {url: reason for url, (reason, _) in drops.items()} == {
        "https://docs.python.example/missing": "non_200",
        "https://docs.python.example/logo.png": "non_html",
        "https://docs.python.example/bomb": "too_large",
        "https://docs.python.example/broken": "undecodable",
        "https://docs.python.example/binary": "undecodable",
        "https://docs.python.example/empty": "empty",
    }
    assert drops["https://docs.python.example/missing"][1].startswith("a.warc.gz @ byte ") and "HTTP 404 Not Found" in drops["https://docs.python.example/missing"][1]
    types = {r["record type"]: r["records"] for r in report.tables["records_by_type"]}
    assert types == {"warcinfo": 1, "metadata": 1, "revisit": 1, "request": 10, "response": 12}


def test_the_newest_fetch_of_a_url_wins_within_the_dump_and_across_dumps(tmp_path):
    url = "https://docs.example/page"
    landing = tmp_path / "landing"
    write_warc(landing / "march.warc.gz", [
        Response.html(url, page("v2"), when=later(10)),
        Response.html(url, page("v1"), when=later(0)),
        Response.html(url, page("v3"), when=later(20)),
    ])
    lake = Lake(tmp_path / "lake")
    march = run_web_pages(lake, landing / "march.warc.gz")
    assert _rows(lake)[url]["html"].count("v3") == 2
    drops = _lineage(lake)
    assert march.drops_by_reason == {"duplicate_url": 2} and drops[url][0] == "duplicate_url" and "newest fetch" in drops[url][1]
    _conserved(lake, march, "march")
    # An older fetch arriving later in another dump drops; a newer one is kept (web_text keeps only the newest).
    write_warc(landing / "older.warc.gz", [Response.html(url, page("v0"), when=later(-10))])
    older = run_web_pages(lake, landing / "older.warc.gz")
    assert older.drops_by_reason == {"duplicate_url": 1} and older.rows_kept == 0
    con = connect(lake)
    detail = con.execute("SELECT detail FROM lineage WHERE dump = 'older'").fetchone()[0]
    con.close()
    assert "dump march" in detail
    write_warc(landing / "newer.warc.gz", [Response.html(url, page("v9"), when=later(60))])
    assert run_web_pages(lake, landing / "newer.warc.gz").rows_kept == 1


def test_damaged_files_record_drops_naming_file_and_offset_and_the_rest_is_read(tmp_path):
    dump = tmp_path / "damaged"
    pages = [Response.html(f"https://site.example/{i}", page(f"p{i}", "words " * 40)) for i in range(5)]
    offsets = write_warc(dump / "corrupt.warc.gz", pages)
    data = bytearray((dump / "corrupt.warc.gz").read_bytes())
    middle = (offsets[2] + offsets[3]) // 2
    data[middle:middle + 30] = bytes(30)
    (dump / "corrupt.warc.gz").write_bytes(bytes(data))
    write_warc(dump / "truncated.warc.gz", pages[:3])
    (dump / "truncated.warc.gz").write_bytes((dump / "truncated.warc.gz").read_bytes()[:-50])
    (dump / "empty.warc").write_bytes(b"")
    (dump / "readme.warc").write_bytes(b"# not a crawl\n" * 10)
    lake = Lake(tmp_path / "lake")
    report = run_web_pages(lake, dump)
    _conserved(lake, report, "damaged")
    con = connect(lake)
    malformed = con.execute("SELECT path, detail FROM lineage WHERE reason = 'malformed_record' ORDER BY detail").fetchall()
    kept = con.execute("SELECT warc_file, url FROM web_pages ORDER BY ALL").fetchall()
    con.close()
    details = [d for _, d in malformed]
    assert any(d.startswith(f"corrupt.warc.gz @ byte {offsets[2]}: ") for d in details)
    assert any(d.startswith("readme.warc @ byte 0: ") and "140 bytes" in d for d in details)
    assert any(d.startswith("truncated.warc.gz @ byte ") for d in details)
    assert ("corrupt.warc.gz", "https://site.example/4") in kept and ("truncated.warc.gz", "https://site.example/1") in kept
    # Duplicate URLs across the two files keep one fetch each; nothing is lost: every response is a row or a drop.
    files = {row["file"]: row for row in report.tables["warc_files"]}
    assert files["empty.warc"]["responses"] == 0 and files["readme.warc"]["malformed"] == 1


def test_a_dump_without_warc_files_is_an_error_naming_it(tmp_path):
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.txt").write_text("hi")
    with pytest.raises(WebDumpError, match="nothing.*holds no .warc"):
        run_web_pages(Lake(tmp_path / "lake"), tmp_path / "nothing")


_PEAK = """
import json, resource, sys
from codelake.lake import Lake
from codelake.web_pages import run_web_pages
report = run_web_pages(Lake(sys.argv[2]), sys.argv[1])
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "drops": dict(report.drops_by_reason)}))
"""


def _peak(dump: Path, lake: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(dump), str(lake)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_50_mb_page_and_a_gzip_bomb_drop_as_too_large_with_memory_bounded(tmp_path):
    small = [Response.html(f"https://site.example/{i}", page(f"p{i}")) for i in range(3)]
    write_warc(tmp_path / "base" / "crawl.warc.gz", small)
    huge = "<html><body><pre>" + "print('x')\n" * 4_800_000 + "</pre></body></html>"  # 53 MB
    bomb = Response("https://site.example/bomb", gzip.compress(b"<html>" + b" " * 400_000_000), [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    write_warc(tmp_path / "big" / "crawl.warc.gz", [*small, Response.html("https://site.example/huge", huge), bomb])
    base = _peak(tmp_path / "base", tmp_path / "lake-base")
    big = _peak(tmp_path / "big", tmp_path / "lake-big")
    assert big["drops"] == {"too_large": 2}
    # Neither the 53 MB page nor the 400 MB expansion is ever held: the peak stays near the small crawl's.
    assert big["peak_mb"] - base["peak_mb"] < 40, (base, big)
