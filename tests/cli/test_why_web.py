"""`codelake why <url>`: a web page's story through web_pages and web_text (kept, or dropped with its reason)."""

from __future__ import annotations

from codelake.cli.inspect import find_doc_ids, trace
from codelake.lake import Lake
from codelake.web_pages import run_web_pages
from codelake.web_text import run_web_text
from warcfactory import Response, later, page, write_warc


def test_why_follows_a_page_by_its_url(tmp_path):
    lake = Lake(tmp_path / "lake")
    dump = tmp_path / "crawl-1"
    dump.mkdir()
    body = "Sorting a list in Python with a key function. " * 20
    write_warc(dump / "a.warc.gz", [
        Response.html("http://docs.example.org/sort.html", page("Sorting", body, code="sorted(xs, key=len)")),
        Response.html("http://docs.example.org/sort.html", page("Sorting (new)", body, code="sorted(xs, key=len)"), when=later(5)),
        Response.html("http://docs.example.org/missing.html", page("Gone"), status="404 Not Found"),
    ])
    (dump / "_SUCCESS").write_text("")
    run_web_pages(lake, dump, dump="crawl-1")
    run_web_text(lake, workers=1)

    fetches = find_doc_ids(lake, "http://docs.example.org/sort.html")
    assert len(fetches) == 2  # both fetches: the newest kept, the older dropped as a duplicate URL
    stories = {doc: trace(lake, doc) for doc in fetches}
    kept = next(s for s in stories.values() if s[0]["status"] == "kept")
    assert [step["stage"] for step in kept][:2] == ["web_pages", "web_text"] and kept[0]["path"] == "http://docs.example.org/sort.html"
    older = next(s for s in stories.values() if s[0]["status"] != "kept")
    assert older[0]["reason"] == "duplicate_url"

    missing = find_doc_ids(lake, "http://docs.example.org/missing.html")
    assert len(missing) == 1 and trace(lake, missing[0])[0]["reason"] == "non_200"


def test_a_changed_file_is_traced_through_the_stages_after_the_change(tmp_path):
    # A `change` decision (e.g. transformed) keeps the file: the walk goes on to the next stage.
    import pyarrow as pa

    from codelake.lake.lineage import LINEAGE_SCHEMA, LINEAGE_TABLE

    lake = Lake(tmp_path / "lake")
    schema = pa.schema([("doc_id", pa.string()), ("repo", pa.string()), ("path", pa.string()), ("dump", pa.string())])
    row = {"doc_id": "a" * 32, "repo": "o/r", "path": "x.py", "dump": "d1"}
    for stage in ("raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filtered"):
        lake.write(stage, [pa.RecordBatch.from_pylist([row], schema=schema)], schema)
    change = {"doc_id": "a" * 32, "stage": "transformed", "version": 0, "action": "change", "reason": "transformed", "detail": "{}",
              "dump": "d1", "repo": "o/r", "path": "x.py"}
    lake.write(LINEAGE_TABLE, [pa.RecordBatch.from_pylist([change], schema=LINEAGE_SCHEMA)], LINEAGE_SCHEMA)
    steps = trace(lake, "a" * 32)
    assert [(s["stage"], s["status"]) for s in steps] == [
        ("raw_files", "kept"), ("exact_dedup", "kept"), ("fuzzy_dedup", "kept"), ("transformed", "change"), ("transformed", "kept"),
        ("filtered", "kept"),
    ]
    assert steps[-1]["dump"] == "d1" and steps[-1]["path"] == "x.py"
