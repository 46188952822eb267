"""code_web_recall and code_web_corpus over a small real crawl: rounds as data, models stored with their
hash, domain discovery, URL patterns, and the corpus with every other page's fate in the lineage."""

from __future__ import annotations

import hashlib
import json
import random
import shutil

import fasttext
import pytest
import yaml

from codelake.checks import conservation, duplicate_doc_ids
from codelake.code_web_corpus import run_code_web_corpus
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.web_pages import run_web_pages
from codelake.web_recall import RECALL_DIR, RECALL_ROUNDS_TABLE, RecallRules, run_code_web_recall
from codelake.web_recall.rules import UrlPatterns
from codelake.web_text import run_web_text
from warcfactory import Response, write_warc

WORDS = ("river garden morning bread travel music story family weather market village window summer letter friend "
         "mountain evening kitchen holiday painting").split()
IDENTIFIERS = "value items index result config path buffer request parser token count data name node".split()


def _prose(rng: random.Random, n: int = 12) -> str:
    return " ".join(" ".join(rng.choice(WORDS) for _ in range(10)).capitalize() + "." for _ in range(n))


def _code(rng: random.Random, n: int = 12) -> str:
    lines = []
    for _ in range(n):
        a, b, c = rng.sample(IDENTIFIERS, 3)
        lines.append(rng.choice([f"def {a}_{b}({c}):\n    return {c}.{a}()", f"for {a} in {b}:\n    {c}.append({a})",
                                 f"if {a} is None:\n    raise ValueError('{b}')", f"{a} = {{'{b}': {c}}}"]))
    return "\n".join(lines)


def _page(title: str, prose: str, code: str = "") -> str:
    pre = f"<pre>{code}</pre>" if code else ""
    return f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{prose}</p>{pre}</main></body></html>"


def _crawl(path):
    rng = random.Random(7)
    records = []
    for i in range(14):
        records.append(Response.html(f"https://docs.seed.example/library/mod{i}.html", _page(f"mod{i}", "How to call it. " + _prose(rng, 3), _code(rng))))
        records.append(Response.html(f"https://api.found.example/reference/f{i}.html", _page(f"f{i}", "Reference. " + _prose(rng, 3), _code(rng))))
    records.append(Response.html("https://api.found.example/releases/notes.html", _page("notes", _prose(rng, 3), _code(rng))))
    for host in ("news.example", "recipes.example", "travel.example"):
        for i in range(14):
            records.append(Response.html(f"https://{host}/story/{i}.html", _page(f"story {i}", _prose(rng, 20))))
    write_warc(path, records)


def _rules(tmp_path, patterns: dict) -> RecallRules:
    folder = tmp_path / "web_recall"
    shutil.copytree(RECALL_DIR, folder)
    recall = yaml.safe_load((folder / "recall.yaml").read_text())
    recall.update(code_corpus_max_docs=0, min_domain_pages=5)
    recall["tokenizer"]["vocab_size"] = 500
    (folder / "recall.yaml").write_text(yaml.safe_dump(recall))
    (folder / "seed.yaml").write_text(yaml.safe_dump({"domains": ["seed.example"], "url_patterns": []}))
    (folder / "url_patterns.yaml").write_text(yaml.safe_dump({"domains": patterns}))
    return RecallRules.load(folder / "recall.yaml")


@pytest.fixture(scope="module")
def recalled(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("recall")
    _crawl(tmp_path / "crawl.warc.gz")
    lake = Lake(tmp_path / "lake")
    run_web_pages(lake, tmp_path / "crawl.warc.gz")
    run_web_text(lake, workers=1)
    rules = _rules(tmp_path, {"found.example": {"exclude": ["api.found.example/releases/%"]}})
    report = run_code_web_recall(lake, rules)
    corpus = run_code_web_corpus(lake)
    return lake, rules, report, corpus


def test_three_rounds_each_with_a_stored_model_its_hash_and_metadata(recalled):
    lake, rules, report, _ = recalled
    con = connect(lake)
    rounds = con.execute(f"SELECT round, model_sha256, model, parameters, positives, negatives, precision, recall, code_domains, new_domains, "
                         f"score_histogram, recall_version FROM {RECALL_ROUNDS_TABLE} ORDER BY round").fetchall()
    con.close()
    assert [r[0] for r in rounds] == [1, 2, 3]
    for _, sha, model, parameters, positives, negatives, *_, histogram, version in rounds:
        assert hashlib.sha256(model).hexdigest() == sha and json.loads(parameters)["fasttext"] == rules.fasttext
        assert positives > 0 and negatives > 0 and sum(histogram) == lake.count("web_text") and version == report.version
    # The stored file is a working fastText model.
    path = lake.root / "round1.bin"
    path.write_bytes(rounds[0][2])
    assert fasttext.load_model(str(path)).get_labels() and path.stat().st_size == len(rounds[0][2])
    assert rounds[0][8] == ["found.example", "seed.example"] and rounds[0][9] == ["found.example", "seed.example"]
    assert rounds[-1][6] >= 0.9 and rounds[-1][7] >= 0.9
    assert [row["round"] for row in report.tables["rounds"]] == [1, 2, 3]
    assert conservation(lake, "code_web_recall", report.version, lake.count("web_text")).holds
    assert duplicate_doc_ids(lake, "code_web_recall", report.version) == 0


def test_recalled_domain_grows_the_seed_and_url_patterns_exclude(recalled):
    lake, _, _, _ = recalled
    con = connect(lake)
    rows = {url: (domain, seed, corpus, pattern, scores) for url, domain, seed, corpus, pattern, scores in con.execute(
        "SELECT url, domain, seed_round, corpus_round, url_pattern, scores FROM code_web_recall").fetchall()}
    con.close()
    found = [r for u, r in rows.items() if r[0] == "found.example" and "releases" not in u]
    assert all(r[1] in (2, 3) for r in found) and all(r[2] is not None for r in found)  # positives of a later round, in the corpus
    assert rows["https://api.found.example/releases/notes.html"][3] == "exclude"
    assert rows["https://api.found.example/releases/notes.html"][1] is None and rows["https://api.found.example/releases/notes.html"][2] is None
    prose = [r for r in rows.values() if r[0] in ("news.example", "recipes.example", "travel.example")]
    assert all(r[2] is None for r in prose) and all(len(r[4]) == 3 for r in rows.values())


def test_the_corpus_holds_the_recalled_pages_and_every_other_page_is_a_drop(recalled):
    lake, _, _, corpus = recalled
    con = connect(lake)
    kept = con.execute("SELECT domain, round, score, text FROM code_web_corpus").fetchall()
    drops = dict(con.execute("SELECT path, reason FROM lineage WHERE stage = 'code_web_corpus'").fetchall())
    con.close()
    assert {d for d, *_ in kept} == {"seed.example", "found.example"} and all(t and r in (1, 2, 3) for _, r, _, t in kept)
    assert drops["https://api.found.example/releases/notes.html"] == "url_excluded"
    assert sum(1 for r in drops.values() if r == "not_code_related") == 42
    assert conservation(lake, "code_web_corpus", corpus.version, lake.count("code_web_recall")).holds


def test_url_patterns_take_globs_and_percent_wildcards():
    patterns = UrlPatterns(["stackoverflow.com/questions/%", "*.example.org/docs/*.html"], "test")
    assert patterns.matches("https://stackoverflow.com/questions/123/how-to")
    assert patterns.matches("http://API.example.org/docs/a/b.html") and not patterns.matches("http://api.example.org/docs/a/b.html?x=1")
    assert not patterns.matches("https://stackoverflow.com/users/1")
