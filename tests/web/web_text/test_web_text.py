"""web_text: newest fetch per URL across dumps, main text with code kept, language, exact and near
duplicates removed with the code branch's engine and its lineage form."""

from __future__ import annotations

import json
from dataclasses import replace

import fasttext

from codelake.checks import conservation, duplicate_doc_ids
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.web_pages import run_web_pages
from codelake.web_text import WebTextRules, run_web_text
from codelake.web_text.extract import extract_page
from codelake.web_text.language import detect_language
from warcfactory import Response, later, page, write_warc

ENGLISH = ("The function joins one or more path components intelligently. The return value is the concatenation "
           "of path and any members of paths with exactly one directory separator following each non-empty part. ")
GERMAN = ("Die Funktion verbindet einen oder mehrere Pfadbestandteile auf intelligente Weise. Der Rückgabewert ist "
          "die Verkettung des Pfades mit allen weiteren Bestandteilen, getrennt durch genau einen Schrägstrich. ")
CODE = "import os\nfor name in os.listdir('.'):\n    print(os.path.join('.', name))"


def _table(lake: Lake, sql: str):
    con = connect(lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_extraction_keeps_code_lines_and_inline_code_and_falls_back_to_the_whole_page():
    rules = WebTextRules.load()
    html = ("<html><head><title>os.path — Common pathname manipulations</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<main><h1>os.path.join</h1><p>Call <code>os.path.join(a, b)</code> to join. {ENGLISH}</p><pre>{CODE}</pre></main></body></html>")
    result = extract_page(html, rules)
    assert result["title"] == "os.path — Common pathname manipulations" and result["extractor"] == "main_content"
    assert all(line in result["text"].splitlines() for line in CODE.splitlines())
    assert "Call os.path.join(a, b) to join." in result["text"] and result["language"] == "en"
    # Only a navigation list: the main-content heuristics drop it all, the whole page keeps it.
    nav_only = "<html><body><nav><ul><li><a href='/a'>Alpha</a></li><li><a href='/b'>Beta</a></li></ul></nav></body></html>"
    fallback = extract_page(nav_only, rules)
    assert fallback["extractor"] == "whole_page_fallback" and "Alpha" in fallback["text"]
    assert extract_page("<html><body><script>var x = 1;</script></body></html>", rules)["size"] == 0


def test_language_heuristic_reads_prose_and_ignores_code():
    rules = WebTextRules.load().language
    code = "\n".join([CODE] * 20)
    assert detect_language(ENGLISH + "\n" + code, rules)[0] == "en"
    assert detect_language(code + "\n" + GERMAN, rules)[0] == "de"
    assert detect_language(code, rules) == ("unknown", 0.0)


def test_a_fasttext_language_model_is_used_when_the_file_exists(tmp_path):
    train = tmp_path / "lid.txt"
    lines = [f"__label__en {s}" for s in ENGLISH.split(". ")] * 30 + [f"__label__de {s}" for s in GERMAN.split(". ")] * 30
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = fasttext.train_supervised(str(train), epoch=20, lr=0.5, minn=2, maxn=4, bucket=20000, dim=16, thread=1, verbose=0)
    model.save_model(str(tmp_path / "lid.bin"))
    rules = replace(WebTextRules.load().language, fasttext_model=tmp_path / "lid.bin")
    language, probability = detect_language(GERMAN, rules)
    assert language == "de" and 0.5 < probability <= 1.0001


def test_web_text_keeps_the_newest_fetch_and_removes_exact_and_near_duplicates(tmp_path):
    landing = tmp_path / "web"
    base = page("Paths", ENGLISH * 3, CODE)
    near = page("Paths", ENGLISH * 3 + " One more sentence at the end.", CODE)
    write_warc(landing / "jan.warc.gz", [
        Response.html("https://docs.a.example/paths", page("old", GERMAN * 3), when=later(0)),
        Response.html("https://docs.a.example/nav", "<html><body><nav><a href='/x'>Only navigation</a></nav></body></html>", when=later(1)),
        Response.html("https://docs.a.example/empty", "<html><body><script>1</script></body></html>", when=later(1)),
    ])
    write_warc(landing / "feb.warc.gz", [
        Response.html("https://docs.a.example/paths", base, when=later(100)),  # newer fetch of a jan URL
        Response.html("https://mirror.b.example/paths", base, when=later(90)),  # same text, older: exact duplicate
        Response.html("https://docs.a.example/paths-v2", near, when=later(80)),  # near duplicate
        Response.html("https://docs.a.example/de", page("Pfade", GERMAN * 3), when=later(70)),
    ])
    lake = Lake(tmp_path / "lake")
    for name in ("jan", "feb"):
        run_web_pages(lake, landing / f"{name}.warc.gz")
    report = run_web_text(lake, workers=2)
    rows_in = lake.count("web_pages")
    assert conservation(lake, "web_text", report.version, rows_in).holds
    assert duplicate_doc_ids(lake, "web_text", report.version) == 0
    kept = dict(_table(lake, "SELECT url, language FROM web_text"))
    assert set(kept) == {"https://docs.a.example/paths", "https://docs.a.example/nav", "https://docs.a.example/de"}
    assert kept["https://docs.a.example/paths"] == "en" and kept["https://docs.a.example/de"] == "de"
    drops = {url: (reason, json.loads(detail) if detail.startswith("{") else detail, dump)
             for url, reason, detail, dump in _table(lake, "SELECT path, reason, detail, dump FROM lineage WHERE stage = 'web_text'")}
    assert drops["https://docs.a.example/paths"][0] == "duplicate_url" and drops["https://docs.a.example/paths"][2] == "jan"
    assert drops["https://docs.a.example/paths"][1]["survivor_dump"] == "feb"
    exact = drops["https://mirror.b.example/paths"]
    assert exact[0] == "exact_duplicate" and exact[1]["survivor_path"] == "https://docs.a.example/paths" and exact[1]["survivor_repo"] == "a.example"
    near_drop = drops["https://docs.a.example/paths-v2"]
    assert near_drop[0] == "near_duplicate" and near_drop[1]["jaccard"] >= 0.8 and near_drop[1]["survivor_path"] == "https://docs.a.example/paths"
    assert drops["https://docs.a.example/empty"][0] == "no_text"
    assert report.drops_by_reason == {"duplicate_url": 1, "exact_duplicate": 1, "near_duplicate": 1, "no_text": 1}
