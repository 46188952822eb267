"""Web benchmark: read + extract + classify the demo crawl, codelake against datatrove's web pipeline.

    python -m bench.web [--workdir DIR] [--workers 2] [--repeats 3] [--model-lake LAKE]
    make bench-web     # the same, with datatrove's side in .venv-bench

The demo crawl (demo/build_web.py, one .warc.gz per Debian documentation package) is read by both sides
in the same run, with the same fastText model: the last round's model of codelake's own recall
(`code_web_recall_rounds`), from a lake that ran the recall on this crawl (`--model-lake`), or else
from web_pages -> web_text -> code_web_recall run here into a scratch lake first.

- codelake: `codelake.warc.records.read_warc` (fastwarc) -> `web_pages.pages.judge_response` (HTTP,
  codings, charset) -> `web_text.extract.main_text` (resiliparse; the text web_text stores, without the
  title, language and hash it adds) -> the round's classifier (BPE pretokenized, as code_web_recall
  scores pages) -> JSON lines; one process per WARC file, the largest files first.
- datatrove: `WarcReader` -> `Trafilatura` -> `FastTextClassifierFilter` (the same model file; it has no
  pretokenizer, so it scores raw text) -> `JsonlWriter` in a `LocalPipelineExecutor`, one task per file,
  the same number of workers.
- Both sides' timers start the same way: after the pipeline's libraries are imported, with the workers
  forked from that process (datatrove's executor is told `start_method="fork"`; its default forkserver
  would re-import them in every worker inside its timer); model loading and worker start are timed. The
  whole process (interpreter start and imports included) is reported too, for both. It runs under --peer-python (.venv-bench): datatrove's filter insists on
  the `fasttext-numpy2-wheel` distribution, which the project venv does not hold (it has
  fasttext-community). That the two builds score alike is checked here: every datatrove score is
  recomputed with fasttext-community on the same string.

The sides run alternately, `--repeats` times each, each run a subprocess measured by
`bench.ingest.run_measured` (wall, peak RSS) and `TreeCPU` (user + system seconds of its process tree, the
figure a loaded machine moves least); medians are reported. Pages: the crawl's HTML pages with status 200
(the same number for both sides, so pages/s compare the same work); MB: the WARC files' bytes.
`<pre>` kept: of every `<pre>` line of the pages (DOM text by resiliparse's HTML5 parser, whitespace
collapsed, empty lines left out), the share of characters whose line appears in the side's extracted
text. Peak memory: codelake's side on the crawl and on a crawl 4x larger (each WARC file's records
four times over, so each worker's file is 4x longer). Results also go to bench/results/web-*.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
_SPACE = re.compile(r"\s+")
_SCORE_BATCH = 256
TARGET_RATIO, TARGET_PRE_KEPT, TARGET_MEMORY_RATIO = 20.0, 0.98, 1.3


# --- what is measured -------------------------------------------------------------------------------

def pre_lines(html: str) -> list[str]:
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    lines = []
    for node in tree.body.query_selector_all("pre") if tree.body else []:
        lines += [_SPACE.sub(" ", line).strip() for line in node.text.splitlines()]
    return [line for line in lines if line]


def pre_kept(pages: list[tuple[str, str]]) -> tuple[float, int]:
    """pages: (html, extracted text). Share of <pre> characters whose line is found in the text, and
    how many <pre> characters there were."""
    total = kept = 0
    for html, text in pages:
        flat = _SPACE.sub(" ", text)
        for line in pre_lines(html):
            total += len(line)
            kept += len(line) if line in flat else 0
    return (kept / total if total else 1.0), total


def crawl_pages(files: list[Path]) -> dict[str, str]:
    """url -> decoded HTML of every page codelake keeps from the crawl (HTML, status 200)."""
    from codelake.warc.records import ResponseRecord, read_warc
    from codelake.web_pages.pages import judge_response
    from codelake.web_pages.rules import WebIngestRules

    rules, pages = WebIngestRules.load(), {}
    for path in files:
        for event in read_warc(path, path.name, rules.max_record_bytes, rules.verify_block_digest):
            if isinstance(event, ResponseRecord):
                decision = judge_response(event, "bench", rules)
                if decision.row is not None:
                    pages[event.url] = decision.row["html"]
    return pages


def scaled_crawl(files: list[Path], dest: Path, factor: int) -> list[Path]:
    """Each WARC file with its records `factor` times over (gzip members concatenate into one stream)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for path in files:
        target = dest / path.name
        with open(target, "wb") as f:
            for _ in range(factor):
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, f)
        out.append(target)
    return out


class TreeCPU:
    """CPU seconds (user + system) used by this process's descendants while the block runs: every
    descendant's cpu_times, polled every POLL_S, the last sample of each process summed (a process's final
    POLL_S can be missed). Load-independent where wall clock on a shared machine is not; it covers
    processes a forkserver starts (datatrove's workers), which GNU time's rusage would not."""

    POLL_S = 0.02

    def __enter__(self) -> TreeCPU:
        import threading

        self._seen: dict[tuple[int, float], float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while True:
            for p in me.children(recursive=True):
                try:
                    t = p.cpu_times()
                    self._seen[(p.pid, p.create_time())] = t.user + t.system
                except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                    pass
            if self._done.wait(self.POLL_S):
                return

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self._seen.values())


# --- the model: the last round of codelake's recall -------------------------------------------------

def recall_model(lake_root: Path, out: Path) -> dict:
    """The last round's model and tokenizer of `code_web_recall_rounds` in a lake, written as files."""
    from codelake.lake import Lake
    from codelake.lake.sql import connect
    from codelake.web_recall import RECALL_ROUNDS_TABLE

    con = connect(Lake(lake_root))
    try:
        row = con.execute(f"SELECT round, model, tokenizer, model_sha256 FROM {RECALL_ROUNDS_TABLE} "
                          "ORDER BY recall_version DESC, round DESC LIMIT 1").fetchone()
    finally:
        con.close()
    if row is None:
        raise SystemExit(f"{lake_root}: {RECALL_ROUNDS_TABLE} holds no round")
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.bin").write_bytes(row[1])
    (out / "tokenizer.json").write_text(row[2], encoding="utf-8")
    return {"model": out / "model.bin", "tokenizer": out / "tokenizer.json", "round": row[0], "sha256": row[3], "lake": str(lake_root)}


def run_recall(dump: Path, lake_root: Path, workers: int) -> None:
    """web_pages -> web_text -> code_web_recall on the crawl, into a scratch lake."""
    from codelake.lake import Lake
    from codelake.web_pages import run_web_pages
    from codelake.web_recall import run_code_web_recall
    from codelake.web_text import run_web_text

    lake = Lake(lake_root)
    run_web_pages(lake, dump)
    run_web_text(lake, workers=workers)
    run_code_web_recall(lake)


# --- codelake's side --------------------------------------------------------------------------------

_loaded: dict = {}  # the rules and the round's classifier, loaded once by the process that forks the workers


def _load(model_path: str, tokenizer_path: str) -> dict:
    key = (model_path, tokenizer_path)
    if _loaded.get("key") != key:
        import fasttext
        from tokenizers import Tokenizer

        from codelake.warc.domains import registered_domain
        from codelake.web_pages.rules import WebIngestRules
        from codelake.web_recall.classifier import RoundModel
        from codelake.web_recall.rules import RecallRules
        from codelake.web_text.rules import WebTextRules

        registered_domain("docs.python.org")  # reads the Public Suffix List once, before the workers fork
        _loaded.update(key=key, ingest=WebIngestRules.load(), text=WebTextRules.load(), text_chars=RecallRules.load().text_chars,
                       classifier=RoundModel(Tokenizer.from_file(tokenizer_path), fasttext.load_model(model_path), b"", ""))
    return _loaded


def _json_line(row: dict) -> bytes:
    """orjson (a fifth of json's cost); json for what orjson refuses (a lone surrogate in a URL)."""
    import orjson

    try:
        return orjson.dumps(row) + b"\n"
    except TypeError:
        return (json.dumps(row) + "\n").encode()


def _codelake_file(args: tuple[str, str, str, str]) -> int:
    """One WARC file: pages read, decoded, extracted and scored, written as JSON lines to `out`. Only what
    classification needs: the main text (codelake.web_text.extract.main_text, as extract_page computes
    it), not the title, language or hash web_text adds."""
    path, model_path, tokenizer_path, out = args
    from resiliparse.parse.html import HTMLTree

    from codelake.warc.records import ResponseRecord, read_warc
    from codelake.web_pages.pages import judge_response
    from codelake.web_text.extract import main_text

    loaded = _load(model_path, tokenizer_path)
    ingest, text_rules, text_chars, classifier = loaded["ingest"], loaded["text"], loaded["text_chars"], loaded["classifier"]
    pages, urls, texts = 0, [], []

    def flush(f) -> None:
        scores = classifier.scores([text[:text_chars] for text in texts])
        f.write(b"".join(_json_line({"url": url, "score": score, "text": text}) for url, score, text in zip(urls, scores, texts)))
        urls.clear()
        texts.clear()

    with open(out, "wb") as f:
        for event in read_warc(path, Path(path).name, ingest.max_record_bytes, ingest.verify_block_digest):
            if not isinstance(event, ResponseRecord):
                continue
            decision = judge_response(event, "bench", ingest)
            if decision.row is None:
                continue
            urls.append(event.url)
            texts.append(main_text(HTMLTree.parse(decision.row["html"]), text_rules)[0])
            pages += 1
            if len(texts) >= _SCORE_BATCH:
                flush(f)
        flush(f)
    return pages


def run_codelake(files: list[Path], model: Path, tokenizer: Path, workers: int, out: Path) -> dict:
    """codelake's read + extract + classify over `files`, one process per file, the largest first (so
    that no worker is left with a large file at the end while the other idles); JSON lines under `out`.
    Timed from after the imports, as datatrove's side: the rules, the Public Suffix List and the model
    are loaded inside the timed part, once, by the process that forks the workers."""
    from codelake.parallel import ordered_map

    out.mkdir(parents=True, exist_ok=True)
    # As in the engine's stages, the process that forks the workers has the engine imported: they inherit it
    for module in ("orjson", "fasttext", "tokenizers", "resiliparse.parse.html", "codelake.warc.records", "codelake.web_pages.pages",
                   "codelake.web_text.extract", "codelake.web_recall.classifier"):
        importlib.import_module(module)
    started = time.perf_counter()
    _load(str(model), str(tokenizer))
    largest_first = sorted(files, key=lambda f: f.stat().st_size, reverse=True)
    items = ((f, (str(f), str(model), str(tokenizer), str(out / f"{f.name}.jsonl"))) for f in largest_first)
    pages = sum(result for _, result in ordered_map(_codelake_file, items, workers))
    return {"pages": pages, "seconds": time.perf_counter() - started}


def read_jsonl(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.open(encoding="utf-8")]


# --- datatrove's side (run under the peer interpreter) ----------------------------------------------

_DATATROVE = """
import json, sys, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import FastTextClassifierFilter
from datatrove.pipeline.writers import JsonlWriter
# What the steps import when they first run, imported here as codelake's side imports its engine before
# its timer; the workers are forked (not the default forkserver) so that they inherit these imports too.
import cchardet, magic, trafilatura, warcio.archiveiterator, fasttext.FastText
folder, model, out, workers, tasks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
started = time.perf_counter()
# timeout=10 (default 1 s): no page is dropped for time (the slowest demo page takes ~2.3 s)
# keep_labels ("code", 0.0): every page with text is scored and kept, so its text and score can be checked
LocalPipelineExecutor(pipeline=[WarcReader(folder, glob_pattern="*.warc.gz"), Trafilatura(timeout=10),
    FastTextClassifierFilter(model, keep_labels=("code", 0.0)), JsonlWriter(out + "/docs", compression=None)],
    tasks=tasks, workers=workers, logging_dir=out + "/logs", start_method="fork").run()
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def run_datatrove(folder: Path, model: Path, workers: int, tasks: int, out: Path, python: str):
    """A measured subprocess; fresh `out` each time (the executor skips tasks its logs mark done)."""
    from bench.ingest import run_measured

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": ""}
    with TreeCPU() as cpu:
        measured = run_measured([os.path.abspath(python), "-c", _DATATROVE, str(folder), str(model), str(out), str(workers), str(tasks)], cwd=out, env=env)
    seconds = json.loads(measured.stdout.strip().splitlines()[-1])["seconds"]
    return {"seconds": seconds, "process_s": measured.seconds, "cpu_s": cpu.seconds, "peak_rss": measured.peak_rss}


def datatrove_stats(out: Path) -> dict:
    """Documents read and timeouts, from the executor's merged stats."""
    stats = json.loads((out / "logs" / "stats.json").read_text())
    found = {}
    for step in stats:
        name, counters = step.get("name", ""), step.get("stats", {})
        if "Warc" in name:
            found["read"] = counters.get("documents", {}).get("total", counters.get("documents"))
        if "Trafilatura" in name:
            found["timeouts"] = counters.get("timeout", {}).get("total", 0) if isinstance(counters.get("timeout"), dict) else counters.get("timeout", 0)
    return found


_PEER_FASTTEXT = """
import importlib.metadata as md
print(" ".join(f"{d}=={md.version(d)}" for d in ("fasttext-numpy2-wheel", "fasttext-community", "fasttext")
               if any(x.metadata["Name"].lower() == d for x in md.distributions())))
"""


def fasttext_agreement(model: Path, docs: list[dict]) -> dict:
    """datatrove's scores (FastTextClassifierFilter, DOCUMENT mode: one prediction of the stripped text
    with newlines removed) against fasttext-community's on the same strings, same model file."""
    import fasttext

    ft = fasttext.load_model(str(model))
    worst, disagree = 0.0, 0
    for doc in docs:
        labels, probs = ft.predict(doc["text"].strip().replace("\n", ""), k=-1)
        ours = dict(zip(labels, (float(p) for p in probs)))
        theirs = {k: v for k, v in doc["metadata"].items() if k.startswith("__label__")}
        worst = max([worst] + [abs(ours.get(k, 0.0) - v) for k, v in theirs.items()])
        disagree += max(ours, key=ours.get) != max(theirs, key=theirs.get)
    return {"pages": len(docs), "max_abs_diff": worst, "top_label_disagreements": disagree}


# --- the run ----------------------------------------------------------------------------------------

def measure_codelake(files: list[Path], model: dict, workers: int, out: Path) -> dict:
    """codelake's side as its own measured subprocess (`python -m bench.web --codelake-run ...`)."""
    from bench.ingest import run_measured

    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "bench.web", "--codelake-run", "--workers", str(workers), "--model", str(model["model"]),
           "--tokenizer", str(model["tokenizer"]), "--out", str(out), *map(str, files)]
    with TreeCPU() as cpu:
        measured = run_measured(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    return {**result, "process_s": measured.seconds, "cpu_s": cpu.seconds, "peak_rss": measured.peak_rss}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _side(name: str, runs: list[dict], pages: int, megabytes: float, digits: int) -> dict:
    """One tool's medians over its runs: seconds, pages/s and MB/s (to `digits` / `digits`+1 places), CPU, process, RSS."""
    seconds, cpu = _median(runs, "seconds"), _median(runs, "cpu_s")
    return {f"{name}_s": round(seconds, 2), f"{name}_pages_per_s": round(pages / seconds, digits),
            f"{name}_mb_per_s": round(megabytes / seconds, digits + 1), f"{name}_s_runs": [round(r["seconds"], 2) for r in runs],
            f"{name}_cpu_s": round(cpu, 2), f"{name}_pages_per_cpu_s": round(pages / cpu, digits),
            f"{name}_process_s": round(_median(runs, "process_s"), 2), f"{name}_peak_rss_mb": round(_median(runs, "peak_rss") / 2**20, 1)}


def summarize(megabytes: float, pages: int, ours: list[dict], theirs: list[dict], ours_4x: list[dict]) -> dict:
    row = {"warc_mb": round(megabytes, 2), "pages": pages, "repeats": len(ours), **_side("codelake", ours, pages, megabytes, 1)}
    if ours_4x:
        row.update(codelake_4x_pages=ours_4x[0]["pages"], codelake_4x_s=round(_median(ours_4x, "seconds"), 2),
                   codelake_4x_pages_per_s=round(ours_4x[0]["pages"] / _median(ours_4x, "seconds"), 1),
                   codelake_4x_peak_rss_mb=round(_median(ours_4x, "peak_rss") / 2**20, 1))
        row["memory_ratio_4x"] = round(row["codelake_4x_peak_rss_mb"] / row["codelake_peak_rss_mb"], 3)
    if theirs:
        row.update(_side("datatrove", theirs, pages, megabytes, 2))
        row["ratio_pages_per_s"] = round(row["codelake_pages_per_s"] / row["datatrove_pages_per_s"], 1)
        row["ratio_pages_per_cpu_s"] = round(row["codelake_pages_per_cpu_s"] / row["datatrove_pages_per_cpu_s"], 1)
        row["ratio_process_s"] = round(row["datatrove_process_s"] / row["codelake_process_s"], 1)
    return row


def verdicts(row: dict) -> list[str]:
    out = []
    if "ratio_pages_per_s" in row:
        out.append(f"pages/s ratio {row['ratio_pages_per_s']}x (target >= {TARGET_RATIO:g}x): {'PASS' if row['ratio_pages_per_s'] >= TARGET_RATIO else 'FAIL'}")
        out.append(f"  (by CPU time: {row['ratio_pages_per_cpu_s']}x; whole processes, interpreter start and imports included: "
                   f"{row['ratio_process_s']}x; load average {row.get('load_average', {}).get('median', '?')} on {os.cpu_count()} cores)")
    out.append(f"codelake <pre> kept {row['codelake_pre_kept']} (target >= {TARGET_PRE_KEPT}): {'PASS' if row['codelake_pre_kept'] >= TARGET_PRE_KEPT else 'FAIL'}")
    if "memory_ratio_4x" in row:
        out.append(f"peak RSS 4x/1x {row['memory_ratio_4x']} (target <= {TARGET_MEMORY_RATIO}): {'PASS' if row['memory_ratio_4x'] <= TARGET_MEMORY_RATIO else 'FAIL'}")
    return out


def _codelake_run(args) -> int:
    result = run_codelake([Path(f) for f in args.files], args.model, args.tokenizer, args.workers, args.out)
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    from codelake.web_recall.rules import RecallRules
    from demo.build_web import DEMO_WEB_DUMP, build_demo_web

    parser = argparse.ArgumentParser(description="codelake vs datatrove: WARC read + extract + classify")
    parser.add_argument("--workdir", type=Path, help="keeps the crawl, the scratch lake and the outputs (default: a temp dir, removed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating; medians are reported")
    parser.add_argument("--model-lake", type=Path, help="a lake whose code_web_recall ran on the demo crawl (e.g. .codelake/lake after make demo)")
    parser.add_argument("--peer-python", default=str(ROOT / ".venv-bench/bin/python"), help="interpreter with datatrove's web dependencies")
    parser.add_argument("--no-4x", action="store_true", help="skip the 4x crawl (peak memory)")
    # internal: one measured run of codelake's side
    parser.add_argument("--codelake-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.codelake_run:
        return _codelake_run(args)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="codelake-bench-web-"))
    workdir.mkdir(parents=True, exist_ok=True)
    load = [os.getloadavg()[0]]
    folder = build_demo_web(workdir / "landing", install=True)
    files = sorted(folder.glob("*.warc.gz"))
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    pages = crawl_pages(files)
    if not args.model_lake:
        lake_root = workdir / "lake"
        if not (lake_root / "code_web_recall_rounds").exists():
            print("running web_pages -> web_text -> code_web_recall on the crawl for the model ...", flush=True)
            shutil.rmtree(lake_root, ignore_errors=True)
            run_recall(folder, lake_root, args.workers)
    model = recall_model(args.model_lake or workdir / "lake", workdir / "model")
    print(f"model: round {model['round']} of {model['lake']} (sha256 {model['sha256'][:12]}), {len(pages)} pages, {megabytes:.1f} MB", flush=True)
    files_4x = [] if args.no_4x else scaled_crawl(files, workdir / "crawl-4x" / DEMO_WEB_DUMP, 4)
    peer = args.peer_python if Path(args.peer_python).exists() else None
    if peer is None:
        print(f"{args.peer_python} is missing (make .venv-bench/.web-installed): datatrove's side is skipped")

    ours, theirs, ours_4x = [], [], []
    for repeat in range(args.repeats):
        ours.append(measure_codelake(files, model, args.workers, workdir / "out-codelake"))
        load.append(os.getloadavg()[0])
        print(f"[{repeat + 1}] codelake {ours[-1]['seconds']:.1f} s ({ours[-1]['cpu_s']:.1f} s CPU), peak {ours[-1]['peak_rss'] / 2**20:.0f} MB", flush=True)
        if peer:
            try:
                theirs.append(run_datatrove(folder, model["model"], args.workers, len(files), workdir / "out-datatrove", peer))
            except RuntimeError as e:
                print(f"datatrove's side failed (make .venv-bench/.web-installed):\n{str(e)[-3000:]}")
                peer = None
            else:
                load.append(os.getloadavg()[0])
                print(f"[{repeat + 1}] datatrove {theirs[-1]['seconds']:.1f} s ({theirs[-1]['cpu_s']:.1f} s CPU), peak {theirs[-1]['peak_rss'] / 2**20:.0f} MB", flush=True)
        if files_4x:
            ours_4x.append(measure_codelake(files_4x, model, args.workers, workdir / "out-codelake-4x"))
            load.append(os.getloadavg()[0])
            print(f"[{repeat + 1}] codelake 4x {ours_4x[-1]['seconds']:.1f} s, peak {ours_4x[-1]['peak_rss'] / 2**20:.0f} MB", flush=True)

    row = {"dump": DEMO_WEB_DUMP, "model_round": model["round"], "model_sha256": model["sha256"], "workers": args.workers,
           **summarize(megabytes, len(pages), ours, theirs, ours_4x)}
    assert all(r["pages"] == len(pages) for r in ours), "codelake's side saw a different number of pages than the crawl holds"
    mine = read_jsonl(workdir / "out-codelake")
    row["codelake_pre_kept"], row["pre_chars"] = pre_kept([(pages[d["url"]], d["text"]) for d in mine])
    row["codelake_pre_kept"] = round(row["codelake_pre_kept"], 4)
    threshold = RecallRules.load().recall_threshold
    row["codelake_recalled"] = sum(d["score"] >= threshold for d in mine)
    if theirs:
        docs = read_jsonl(workdir / "out-datatrove" / "docs")
        texts = {d["metadata"].get("url"): d["text"] for d in docs}
        # pages datatrove dropped (no text) count as keeping none of their <pre> characters
        kept, _ = pre_kept([(html, texts.get(url, "")) for url, html in pages.items()])
        row.update(datatrove_docs_out=len(docs), datatrove_pre_kept=round(kept, 4), **{f"datatrove_{k}": v for k, v in datatrove_stats(workdir / "out-datatrove").items()})
        row["datatrove_fasttext"] = subprocess.run([peer or args.peer_python, "-c", _PEER_FASTTEXT], capture_output=True, text=True).stdout.strip()
        row["fasttext_agreement"] = fasttext_agreement(model["model"], docs)
    row["load_average"] = {"min": round(min(load), 1), "median": round(statistics.median(load), 1), "max": round(max(load), 1)}
    for key, value in row.items():
        print(f"{key:>26}: {value}")
    for line in verdicts(row):
        print(line)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"web-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(row, indent=2))
    print(f"results: {path}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
