"""bench/web.py on a tiny crawl: the model comes from codelake's own recall, codelake's side reads,
extracts and scores every HTML page, the <pre> measure, the 4x crawl, and (when .venv-bench is set up
for it) datatrove's side with its fastText scores checked against fasttext-community's. Structure and
agreement only, never timings."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from bench.web import (ROOT, crawl_pages, fasttext_agreement, measure_codelake, pre_kept, read_jsonl, recall_model, run_codelake,
                       run_datatrove, run_recall, scaled_crawl, summarize, verdicts)
from warcfactory import Other, Response, page, write_warc

PROSE = ("river garden morning bread travel music story family weather market village window summer letter friend "
         "mountain evening kitchen holiday painting").split()
NAMES = "value items index result config path buffer request parser token count data name node".split()


def _prose(rng: random.Random, sentences: int) -> str:
    return " ".join(" ".join(rng.choice(PROSE) for _ in range(10)).capitalize() + "." for _ in range(sentences))


def _code(rng: random.Random, lines: int = 10) -> str:
    out = []
    for _ in range(lines):
        a, b, c = rng.sample(NAMES, 3)
        out.append(rng.choice([f"def {a}_{b}({c}):\n    return {c}.{a}()", f"for {a} in {b}:\n    {c}.append({a})",
                               f"if {a} is None:\n    raise ValueError(&#39;{b}&#39;)", f"{a} = {{&#39;{b}&#39;: {c} &lt; 3}}"]))
    return "\n".join(out)


def _crawl(folder: Path) -> int:
    """Two WARC files of code pages (seeded by rules/web_recall/seed.yaml's `%/library/%.html`) and prose
    pages, some gzip-encoded or chunked, plus records no side should count. Returns the HTML 200 pages."""
    rng = random.Random(3)
    code = [Response.html(f"https://docs.tools.example/library/m{i}.html", page(f"m{i}", "Call it like this. " + _prose(rng, 2), _code(rng)),
                          encoding=("gzip", "chunked", "")[i % 3]) for i in range(24)]
    prose = [Response.html(f"https://{host}/story/{i}.html", page(f"story {i}", _prose(rng, 12)))
             for host in ("news.example", "recipes.example") for i in range(14)]
    noise = [Response.html("https://news.example/missing.html", page("gone"), status="404 Not Found"),
             Response("https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), [("Content-Type", "image/png")]),
             Other("metadata", "https://news.example/story/0.html"), Other("warcinfo")]
    write_warc(folder / "code.warc.gz", [Other("warcinfo"), *code, *noise[:2]], with_request=True)
    write_warc(folder / "prose.warc.gz", [*prose, *noise[2:]])
    (folder / "_SUCCESS").write_bytes(b"")
    return len(code) + len(prose)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench-web")
    dump = tmp / "landing" / "tiny-web-2024-03"
    dump.mkdir(parents=True)
    html_pages = _crawl(dump)
    run_recall(dump, tmp / "lake", workers=1)
    model = recall_model(tmp / "lake", tmp / "model")
    files = sorted(dump.glob("*.warc.gz"))
    return tmp, dump, files, html_pages, model


def test_the_model_is_the_last_recall_round_as_stored(bench):
    tmp, _, _, _, model = bench
    assert model["round"] == 3
    assert hashlib.sha256(model["model"].read_bytes()).hexdigest() == model["sha256"]
    assert model["tokenizer"].read_text().lstrip().startswith("{")


def test_codelake_side_reads_extracts_and_scores_every_html_page(bench):
    tmp, _, files, html_pages, model = bench
    pages = crawl_pages(files)
    assert len(pages) == html_pages  # the 404, the image and the non-response records are not pages
    result = run_codelake(files, model["model"], model["tokenizer"], 2, tmp / "out")
    assert result["pages"] == html_pages and result["seconds"] > 0
    docs = read_jsonl(tmp / "out")
    assert sorted(d["url"] for d in docs) == sorted(pages)
    assert all(0.0 <= d["score"] <= 1.0 for d in docs)
    code = [d["score"] for d in docs if "/library/" in d["url"]]
    prose = [d["score"] for d in docs if "/story/" in d["url"]]
    assert sum(code) / len(code) > 0.5 > sum(prose) / len(prose)
    kept, chars = pre_kept([(pages[d["url"]], d["text"]) for d in docs])
    assert chars > 5000 and kept >= 0.98  # resiliparse keeps each <pre> line, entities decoded


def test_codelake_side_gives_the_texts_and_scores_of_web_text_and_code_web_recall(bench):
    """The benchmark's path (main text only, rules and model loaded once before the workers fork) against
    the engine's stages on the same crawl: every page web_text kept has the same text, and the same score
    as code_web_recall's last round gave it."""
    from codelake.lake import Lake
    from codelake.lake.sql import connect

    tmp, _, files, _, model = bench
    run_codelake(files, model["model"], model["tokenizer"], 2, tmp / "same")
    ours = {d["url"]: d for d in read_jsonl(tmp / "same")}
    con = connect(Lake(tmp / "lake"))
    try:
        lake = con.execute("SELECT t.url, t.text, r.score FROM web_text t JOIN code_web_recall r USING (doc_id)").fetchall()
    finally:
        con.close()
    assert len(lake) > 40
    for url, text, score in lake:
        assert (ours[url]["text"], ours[url]["score"]) == (text, score), url


def test_pre_kept_counts_characters_of_lines_found_in_the_text():
    html = "<html><body><p>intro</p><pre>a = 1\n\n  b  =  2\n</pre><pre>print(a)</pre></body></html>"
    assert pre_kept([(html, "intro a = 1 b = 2\nprint(a)")]) == (1.0, 18)
    assert pre_kept([(html, "intro\na = 1\n")]) == (5 / 18, 18)  # "b = 2" and "print(a)" lost
    assert pre_kept([("<html><body><p>no code</p></body></html>", "")]) == (1.0, 0)


def test_the_4x_crawl_holds_each_file_four_times_and_is_measured_in_a_subprocess(bench):
    tmp, _, files, html_pages, model = bench
    files_4x = scaled_crawl(files, tmp / "x4" / "tiny-web-2024-03", 4)
    assert [f.stat().st_size for f in files_4x] == [4 * f.stat().st_size for f in files]
    one, four = measure_codelake(files, model, 2, tmp / "m1"), measure_codelake(files_4x, model, 2, tmp / "m4")
    assert one["pages"] == html_pages and four["pages"] == 4 * html_pages
    assert one["peak_rss"] > 50 * 2**20 and four["peak_rss"] > 50 * 2**20
    row = summarize(1.0, html_pages, [one], [], [four])
    assert row["memory_ratio_4x"] == round(row["codelake_4x_peak_rss_mb"] / row["codelake_peak_rss_mb"], 3)
    assert "datatrove_s" not in row and any("4x/1x" in line for line in verdicts({**row, "codelake_pre_kept": 0.99}))


PEER = ROOT / ".venv-bench" / "bin" / "python"


@pytest.mark.skipif(not (ROOT / ".venv-bench" / ".web-installed").exists(), reason="make .venv-bench/.web-installed sets up datatrove's side")
def test_datatrove_side_runs_its_pipeline_with_the_same_model_and_scores_alike(bench):
    tmp, dump, files, html_pages, model = bench
    result = run_datatrove(dump, model["model"], 2, len(files), tmp / "dt", str(PEER))
    assert result["seconds"] > 0 and result["peak_rss"] > 0
    docs = read_jsonl(tmp / "dt" / "docs")
    assert 0 < len(docs) <= html_pages + 1  # WarcReader also reads the 404's HTML; trafilatura may drop a page
    agreement = fasttext_agreement(model["model"], docs)
    # fasttext-numpy2-wheel (datatrove's) and fasttext-community (codelake's) score the same strings alike
    assert agreement["pages"] == len(docs) and agreement["max_abs_diff"] < 1e-4 and agreement["top_label_disagreements"] == 0
