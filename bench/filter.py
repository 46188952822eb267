"""Filter benchmark: vectorized signals + decisions vs the per-file Python reference, same rules.

    python -m bench.filter [--files N] [--seed S] [--out bench/results]
    python -m bench.filter --opc-root DIR [--opc-venv DIR] [--random certain|seed] [--files N]

Corpus: real files from this machine (Python's standard library, /usr/include headers, texts under
/usr/share/doc, plus any .js/.html/.go/.java/.cs/.sh/.sql/.json/.md found there), labelled with
rules/languages.yaml. Reports MB/s and files/s of both, the speed ratio, and decision agreement
(keep flag and the full list of firing rules), rule by rule where they differ.

With --opc-root, the bar is OpenCoder's released filter instead of reference.py: its checkout runs
in its own virtualenv on the same files in the same run (bench/filter_opc.py), and the report is the
speed ratio and the agreement, overall and per released rule.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path

import polars as pl

from codelake.filtered import compute_signals, decide, load_rules
from codelake.filtered.stage import compute_signals_parallel
from codelake.filtered.reference import reference_run

ROOTS = (
    (Path(sysconfig.get_paths()["stdlib"]), None),
    (Path("/usr/include"), None),
    (Path("/usr/share/doc"), None),
    (Path("/usr/share"), {".js", ".html", ".htm", ".go", ".java", ".cs", ".sh", ".sql", ".json", ".md", ".css", ".xml"}),
    (Path("/usr/lib/python3/dist-packages"), {".py", ".js", ".html"}),
)
MAX_BYTES = 1 << 20


def collect(limit: int = 4000, seed: int = 0) -> pl.DataFrame:
    """Up to `limit` text files from the machine, sampled reproducibly across the roots."""
    from codelake.languages.table import LanguageTable

    table = LanguageTable.load()
    per_root: list[list[tuple[str, str]]] = []
    seen: set[str] = set()
    for root, exts in ROOTS:
        found: list[tuple[str, str]] = []
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if path in seen or (exts is not None and os.path.splitext(name)[1] not in exts):
                    continue
                if os.path.islink(path) or name.endswith(".gz"):
                    continue
                lang = table.detect(path)
                if lang is None:
                    continue
                seen.add(path)
                found.append((path, lang.name))
            if len(found) > 20 * limit:
                break
        per_root.append(found)
    rng = random.Random(seed)
    rows = []
    share = max(1, limit // max(1, len(per_root)))
    for found in per_root:
        rng.shuffle(found)
        taken = 0
        for path, lang in found:
            if taken >= share:
                break
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue
            if not data or len(data) > MAX_BYTES or b"\0" in data:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            rows.append({"doc_id": path, "language": lang, "text": text, "path": path, "size": len(data)})
            taken += 1
    return pl.DataFrame(rows, schema={"doc_id": pl.String, "language": pl.String, "text": pl.String, "path": pl.String, "size": pl.Int64})


def compare(frame: pl.DataFrame, rules, seed: int = 0, reference_rows: pl.DataFrame | None = None, workers: int = 2) -> dict:
    """Run both implementations; timings and agreement. The reference may run on a subset (reference_rows)."""
    t0 = time.perf_counter()
    signals = compute_signals(frame)
    t1 = time.perf_counter()
    decisions = decide(signals, rules, seed)
    t2 = time.perf_counter()
    # The stage's path: the same signals computed by two worker threads over batches.
    located = frame.with_columns(pl.lit("bench").alias("dump"), pl.lit("bench/corpus").alias("repo"))
    p0 = time.perf_counter()
    parallel = pl.concat([pl.from_arrow(t) for t in compute_signals_parallel(located.to_arrow().to_batches(max_chunksize=500), workers)])
    parallel_decisions = decide(parallel, rules, seed)
    p1 = time.perf_counter()
    parallel_same = parallel_decisions.select("doc_id", "keep", "reasons").sort("doc_id").equals(
        decisions.select("doc_id", "keep", "reasons").sort("doc_id")
    )
    ref_frame = frame if reference_rows is None else reference_rows
    r0 = time.perf_counter()
    ref = reference_run(ref_frame.iter_rows(named=True), rules, seed)
    r1 = time.perf_counter()
    vec = {d: (k, list(r)) for d, k, r in decisions.select("doc_id", "keep", "reasons").iter_rows()}
    disagree = []
    per_rule: Counter = Counter()
    for doc_id, keep, reasons in ref:
        vkeep, vreasons = vec[doc_id]
        if vkeep != keep or vreasons != reasons:
            disagree.append({"doc_id": doc_id, "vectorized": vreasons, "reference": reasons})
            for name in set(vreasons) ^ set(reasons):
                per_rule[name] += 1
    mb = frame["text"].str.len_bytes().sum() / 1e6
    ref_mb = ref_frame["text"].str.len_bytes().sum() / 1e6
    vec_s = t2 - t0
    ref_s = r1 - r0
    return {
        "files": frame.height,
        "mb": round(mb, 3),
        "vectorized": {"signals_s": round(t1 - t0, 3), "decide_s": round(t2 - t1, 3), "total_s": round(vec_s, 3),
                       "mb_per_s": round(mb / vec_s, 3), "files_per_s": round(frame.height / vec_s, 1)},
        "reference": {"files": ref_frame.height, "mb": round(ref_mb, 3), "total_s": round(ref_s, 3),
                      "mb_per_s": round(ref_mb / ref_s, 3), "files_per_s": round(ref_frame.height / ref_s, 1)},
        "speedup_mb_per_s": round((mb / vec_s) / (ref_mb / ref_s), 2),
        "parallel": {"workers": workers, "total_s": round(p1 - p0, 3), "mb_per_s": round(mb / (p1 - p0), 3),
                     "speedup_vs_reference": round((mb / (p1 - p0)) / (ref_mb / ref_s), 2), "same_decisions": parallel_same},
        "agreement": round(1 - len(disagree) / max(1, len(ref)), 6),
        "disagreements": len(disagree),
        "disagreements_by_rule": dict(per_rule.most_common()),
        "disagreement_examples": disagree[:10],
        "kept": int(decisions["keep"].sum()),
        "dropped_by_first_rule": dict(Counter(r[0] for _, (k, r) in vec.items() if r).most_common()),
        "profiles": dict(Counter(signals["profile"].to_list()).most_common()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/results"))
    ap.add_argument("--opc-root", type=Path, help="a checkout of OpenCoder-llm/opc_data_filtering: compare with it")
    ap.add_argument("--opc-venv", type=Path, default=Path(".venv-opc"), help="its virtualenv (made from its requirements.txt if missing)")
    ap.add_argument("--random", choices=("certain", "seed"), default="certain", help="random rules: made certain on both sides, or seeded and left out")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    rules = load_rules()
    frame = collect(args.files, args.seed)
    print(f"corpus: {frame.height} files, {frame['text'].str.len_bytes().sum() / 1e6:.1f} MB", file=sys.stderr)
    if args.opc_root is not None:
        return _main_released(args, rules, frame)
    compute_signals(frame.head(50))  # warm up (regex compilation, imports)
    result = compare(frame, rules, args.seed)
    result["rules"] = {"total": len(rules), "enabled": len(rules.enabled), "fingerprint": rules.fingerprint()[:12]}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"filter-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    return 0 if result["agreement"] == 1.0 else 1


def _main_released(args, rules, frame: pl.DataFrame) -> int:
    from bench.filter_opc import bench_against_released

    stamp = time.strftime("%Y%m%d-%H%M%S")
    result = bench_against_released(frame, rules, args.opc_root, args.opc_venv, args.out / f"filter-opc-{stamp}",
                                    seed=args.seed, workers=args.workers, random_mode=args.random)
    result["rules"] = {"total": len(rules), "enabled": len(rules.enabled), "fingerprint": rules.fingerprint()[:12]}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    (args.out / f"filter-opc-{stamp}.json").write_text(text)
    print(f"released filter {result['opc_commit'][:12]}: speed ratio {result['speed_ratio']}x, decisions identical "
          f"{result['decision_agreement']:.4f} of {result['files_compared']} files, load {result['load_average']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
