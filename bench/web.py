"""Web benchmark: read + extract + classify the demo crawl, codelake against datatrove's web pipeline.

    python -m bench.web [--workdir DIR] [--workers 2]

Both sides run over the same .warc.gz files in the same run with the same fastText model (trained here
on raw page text of the crawl, code packages against the rest):
- codelake: `codelake.warc.records.read_warc` (fastwarc) → `web_pages.pages.judge_response` (HTTP,
  codings, charset) → `web_text.extract.extract_page` (resiliparse) → fastText, one process per file.
- datatrove: `WarcReader` → `Trafilatura` → `FastTextClassifierFilter` in a `LocalPipelineExecutor`,
  one task per file, the same number of workers. It needs trafilatura + lxml_html_clean
  (bench/requirements-peers.txt, installed into .venv-bench, never the project venv).
`<pre>` kept: the share of characters of the pages' `<pre>` lines (whitespace collapsed) found in the
extracted text. Prints pages/s, MB/s (WARC bytes) and the ratio, and writes bench/results/web-*.json.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SPACE = re.compile(r"\s+")


def pre_lines(html: str) -> list[str]:
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    lines = []
    for node in tree.body.query_selector_all("pre") if tree.body else []:
        lines += [_SPACE.sub(" ", line).strip() for line in node.text.splitlines()]
    return [line for line in lines if line]


def pre_kept(pages: list[tuple[str, str]]) -> float:
    """pages: (html, extracted text). Share of <pre> characters whose line is found in the text."""
    total = kept = 0
    for html, text in pages:
        flat = _SPACE.sub(" ", text)
        for line in pre_lines(html):
            total += len(line)
            kept += len(line) if line in flat else 0
    return kept / total if total else 1.0


def _codelake_file(args: tuple[str, str, str]) -> dict:
    path, name, model_path = args
    import fasttext

    from codelake.warc.records import ResponseRecord, read_warc
    from codelake.web_pages.pages import judge_response
    from codelake.web_pages.rules import WebIngestRules
    from codelake.web_text.extract import extract_page
    from codelake.web_text.rules import WebTextRules

    ingest, text_rules = WebIngestRules.load(), WebTextRules.load()
    model = fasttext.load_model(model_path)
    pages, samples = 0, []
    for event in read_warc(path, name, ingest.max_record_bytes, ingest.verify_block_digest):
        if not isinstance(event, ResponseRecord):
            continue
        decision = judge_response(event, "bench", ingest)
        if decision.row is None:
            continue
        html = decision.row["html"]
        text = extract_page(html, text_rules)["text"]
        model.predict(text.replace("\n", " ")[:10000])
        pages += 1
        if pages % 10 == 0:
            samples.append((html, text))
    return {"pages": pages, "samples": samples}


def run_codelake(files: list[Path], model: Path, workers: int) -> dict:
    from codelake.parallel import ordered_map

    started = time.perf_counter()
    pages, samples = 0, []
    for _, result in ordered_map(_codelake_file, ((f, (str(f), f.name, str(model))) for f in files), workers):
        pages += result["pages"]
        samples += result["samples"]
    seconds = time.perf_counter() - started
    return {"pages": pages, "seconds": seconds, "pre_kept": pre_kept(samples)}


_DATATROVE = """
import json, sys, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import FastTextClassifierFilter
from datatrove.pipeline.writers import JsonlWriter
folder, model, out, workers, tasks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
started = time.perf_counter()
LocalPipelineExecutor(pipeline=[WarcReader(folder, glob_pattern="*.warc.gz"), Trafilatura(timeout=10),
    FastTextClassifierFilter(model, keep_labels=("code", 0.0)), JsonlWriter(out, compression=None)],
    tasks=tasks, workers=workers, logging_dir=out + "/logs").run()
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def run_datatrove(folder: Path, model: Path, workers: int, tasks: int, out: Path, python: str, env: dict) -> dict | None:
    result = subprocess.run([python, "-c", _DATATROVE, str(folder), str(model), str(out), str(workers), str(tasks)],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    if result.returncode != 0:
        print(f"datatrove side failed (needs trafilatura + lxml_html_clean: make .venv-bench):\n{result.stderr[-2000:]}")
        return None
    seconds = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
    docs = [json.loads(line) for f in sorted(out.glob("*.jsonl")) for line in f.open(encoding="utf-8")]
    return {"pages": len(docs), "seconds": seconds, "texts": {d["metadata"].get("url"): d["text"] for d in docs}}


def train_model(files: list[Path], workdir: Path) -> Path:
    """A fastText model on raw page text (code packages against the rest), used by both sides."""
    import fasttext

    from codelake.warc.domains import normalized_host, registered_domain
    from codelake.warc.records import ResponseRecord, read_warc
    from codelake.web_pages.pages import judge_response
    from codelake.web_pages.rules import WebIngestRules
    from codelake.web_text.extract import extract_page
    from codelake.web_text.rules import WebTextRules
    from demo.build_web import labels

    truth, ingest, text_rules = labels(), WebIngestRules.load(), WebTextRules.load()
    lines = []
    for path in files:
        for event in read_warc(path, path.name, ingest.max_record_bytes):
            if isinstance(event, ResponseRecord) and len(lines) < 40 * len(files) * 10:
                decision = judge_response(event, "bench", ingest)
                if decision.row is not None and hash(event.url) % 4 == 0:
                    label = "code" if truth.get(registered_domain(normalized_host(event.url))) else "other"
                    lines.append(f"__label__{label} " + extract_page(decision.row["html"], text_rules)["text"].replace("\n", " ").lower()[:5000])
    (workdir / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = fasttext.train_supervised(str(workdir / "train.txt"), epoch=10, lr=0.5, dim=32, bucket=50000, wordNgrams=2, thread=2, verbose=0)
    model.save_model(str(workdir / "model.bin"))
    return workdir / "model.bin"


def main() -> int:
    import os

    from demo.build_web import DEMO_WEB_DUMP, build_demo_web

    parser = argparse.ArgumentParser(description="codelake vs datatrove: WARC read + extract + classify")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--peer-python", default=str(ROOT / ".venv-bench/bin/python"), help="interpreter with datatrove + trafilatura")
    parser.add_argument("--peer-path", default="", help="a folder with trafilatura installed (pip --target), added to the datatrove side's PYTHONPATH only")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-bench-web-"))
    folder = build_demo_web(workdir / "landing", install=True)
    files = sorted(folder.glob("*.warc.gz"))
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    model = train_model(files, workdir)
    ours = run_codelake(files, model, args.workers)
    peer_python = args.peer_python if Path(args.peer_python).exists() else sys.executable
    env = dict(os.environ)
    if args.peer_path:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), args.peer_path, env.get("PYTHONPATH", "")) if p)
    peer = run_datatrove(folder, model, args.workers, len(files), workdir / "datatrove", peer_python, env)
    row = {"dump": DEMO_WEB_DUMP, "warc_mb": round(megabytes, 1), "codelake_pages": ours["pages"], "codelake_s": round(ours["seconds"], 2),
           "codelake_pages_per_s": round(ours["pages"] / ours["seconds"], 1), "codelake_mb_per_s": round(megabytes / ours["seconds"], 2),
           "codelake_pre_kept": round(ours["pre_kept"], 4), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}
    if peer is not None:
        from codelake.warc.records import ResponseRecord, read_warc

        htmls = {}
        for path in files:
            for event in read_warc(path, path.name, 16 << 20):
                if isinstance(event, ResponseRecord) and event.url in peer["texts"] and len(htmls) < ours["pages"] // 10:
                    from codelake.web_pages.pages import judge_response
                    from codelake.web_pages.rules import WebIngestRules

                    decision = judge_response(event, "bench", WebIngestRules.load())
                    if decision.row is not None:
                        htmls[event.url] = decision.row["html"]
        row.update({"datatrove_pages": peer["pages"], "datatrove_s": round(peer["seconds"], 2),
                    "datatrove_pages_per_s": round(peer["pages"] / peer["seconds"], 1),
                    "datatrove_pre_kept": round(pre_kept([(h, peer["texts"][u]) for u, h in htmls.items()]), 4)})
        row["ratio_pages_per_s"] = round(row["codelake_pages_per_s"] / row["datatrove_pages_per_s"], 1)
    for key, value in row.items():
        print(f"{key:>24}: {value}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"web-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
