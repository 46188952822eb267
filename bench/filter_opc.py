"""codelake's filter vs OpenCoder's released filter, run from a checkout, on the same files in the same run.

    python -m bench.filter --opc-root DIR [--opc-venv DIR] [--files N] [--random certain|seed]

The released filter (OpenCoder-llm/opc_data_filtering) runs in its own virtualenv, made from its
requirements.txt (`make_opc_venv`), through bench/opc_released.py: its routing, signal computation
and CodeFilter in one process, one file after another, as its notebook does. codelake's side is the
`filter_signals` path (compute_signals_parallel, the stage's worker threads and Python parse
processes) and `filtered`'s decision (decide) over the same texts. Reported: the checkout's commit,
both sides' seconds and MB/s, the speed ratio, routing agreement, identical keep/drop decisions,
and per released rule (signal) how often each side fires where the other does not.

Random rules: the released filter's eight `x > T and random.random() > 0.2` rules and codelake's
p = 0.8 rules cannot draw the same numbers. `--random certain` (default) makes them fire whenever
their condition holds on both sides (random.random -> 1.0 there, probability 1.0 here), so every
decision is compared; `--random seed` leaves both probabilistic (Python's random seeded there, the
blake2b draw here) and leaves out of the agreement the files where such a rule's condition holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

from codelake.filtered import decide
from codelake.filtered.decide import hits
from codelake.filtered.rules import RuleSet
from codelake.filtered.stage import compute_signals_parallel

RUNNER = Path(__file__).resolve().with_name("opc_released.py")
# The released CodeFilter's language-specific configs (compute_filtering.support_program_langs).
OPC_LANGUAGE_PROFILES = ("cpp", "csharp", "c", "go", "html", "java", "javascript", "python", "shell", "sql")


def opc_commit(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


def make_opc_venv(root: Path, venv: Path, log=sys.stderr) -> Path:
    """A virtualenv with the checkout's requirements.txt from PyPI (made once; remade when the file changes)."""
    requirements = root / "requirements.txt"
    stamp = venv / "opc-requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    python = venv / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    print(f"making {venv} from {requirements} (pip, once)", file=log)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(digest + "\n")
    return python


def opc_rows(frame: pl.DataFrame) -> list[dict]:
    """The notebook's attributes of each file: name without extension, extension without the dot, size.
    lang is "en": its fastText language model (artifacts/lang_predictor.bin) is a Google Drive download,
    and codelake, without a `lang` column, routes every text file to en as well."""
    rows = []
    for doc_id, text, path, size in frame.select("doc_id", "text", "path", "size").iter_rows():
        name, ext = os.path.splitext(os.path.basename(path))
        rows.append({"doc_id": doc_id, "text": text, "filename": name, "ext": ext[1:], "size": size, "lang": "en"})
    return rows


def run_opc(python: Path, root: Path, frame: pl.DataFrame, workdir: Path, random_mode: str, seed: int) -> tuple[dict, dict]:
    """(summary, {doc_id: released result}) of the released filter over `frame`, in its virtualenv."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    corpus, out = workdir / "opc-corpus.jsonl", workdir / "opc-results.jsonl"
    with corpus.open("w", encoding="utf-8") as f:
        for row in opc_rows(frame):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    cmd = [str(python), str(RUNNER), "--opc-root", str(root), "--corpus", str(corpus), "--out", str(out),
           "--random", random_mode, "--seed", str(seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=str(root))
    if done.returncode != 0:
        raise RuntimeError(f"released filter failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    with out.open(encoding="utf-8") as f:
        results = {r["doc_id"]: r for r in map(json.loads, f)}
    return summary, results


def opc_profile(program_lang: str, doc_type: str) -> str:
    """The codelake profile equivalent to the released filter's routing of one file (CodeFilter.evaluate)."""
    if doc_type in ("unknown", "excluded"):
        return "excluded"
    if doc_type == "text":
        return "en"
    if program_lang in OPC_LANGUAGE_PROFILES:
        return program_lang
    return "data" if doc_type == "data" else "others"


def certain(rules: RuleSet) -> RuleSet:
    """The rules with every probabilistic rule made certain (fires whenever its condition holds)."""
    return dataclasses.replace(rules, rules=tuple(dataclasses.replace(r, probability=1.0) for r in rules.rules))


def run_codelake(frame: pl.DataFrame, rules: RuleSet, seed: int, workers: int) -> tuple[float, pl.DataFrame, pl.DataFrame]:
    """(seconds, signals, decisions) of filter_signals' path + filtered's decision over `frame`."""
    located = frame.with_columns(pl.lit("bench").alias("dump"), pl.lit("bench/corpus").alias("repo"))
    batches = located.to_arrow().to_batches(max_chunksize=1000)
    t0 = time.perf_counter()
    signals = pl.concat([pl.from_arrow(t) for t in compute_signals_parallel(batches, workers)])
    decisions = decide(signals, rules, seed)
    return time.perf_counter() - t0, signals, decisions


def compare_with_released(frame, signals, decisions, released: dict, rules: RuleSet, seed: int, random_mode: str) -> dict:
    """Routing, decision and per-rule agreement of codelake's decisions with the released filter's."""
    fired = hits(signals, rules, seed)
    by_signal: dict[str, list[str]] = {}
    for rule in rules.enabled:
        if rule.name in fired.columns:
            by_signal.setdefault(rule.signal, []).append(rule.name)
    probabilistic = {r.signal for r in rules.enabled if r.probability < 1.0}
    ours = {}
    for row in fired.join(decisions.select("doc_id", "keep"), on="doc_id").join(signals.select("doc_id", "profile"), on="doc_id").iter_rows(named=True):
        ours[row["doc_id"]] = (row["profile"], row["keep"], {s for s, names in by_signal.items() if any(row[n] for n in names)})

    routing = Counter()
    same, compared, left_out = 0, 0, 0
    per_rule: dict[str, Counter] = {}
    examples: dict[str, list] = {}
    classes = Counter()
    for doc_id, rel in released.items():
        profile, keep, our_fired = ours[doc_id]
        rel_profile = opc_profile(rel["program_lang"], rel["doc_type"])
        rel_fired = {k for k, v in rel["hit_map"].items() if v}
        if rel_profile == "excluded" and not rel["effective"]:
            rel_fired.add("cate_excluded")  # CodeFilter drops unknown/excluded types before any rule; codelake's rule
        if random_mode == "seed" and (rel_fired | our_fired) & probabilistic:
            left_out += 1
            continue
        compared += 1
        routing[rel_profile == profile] += 1
        if keep == rel["effective"]:
            same += 1
        elif rel_profile != profile:
            classes[f"routing {rel_profile} vs {profile}"] += 1
        elif rel["err_msg"] and not rel_fired:
            classes["released signal error/timeout"] += 1
        if rel_profile != profile:
            continue
        for name in our_fired | rel_fired | set(rel["hit_map"]):
            c = per_rule.setdefault(name, Counter())
            a, b = name in rel_fired, name in our_fired
            c["both" if a and b else "released_only" if a else "codelake_only" if b else "neither"] += 1
            if a != b and len(examples.setdefault(name, [])) < 5:
                examples[name].append({"doc_id": doc_id, "released": a, "codelake": b,
                                       "released_value": json.loads(rel["quality_signal"] or "{}").get(name),
                                       "codelake_value": signals.filter(pl.col("doc_id") == doc_id)[name].item() if name in signals.columns else None})
    rule_table = {}
    for name, c in sorted(per_rule.items(), key=lambda kv: -(kv[1]["released_only"] + kv[1]["codelake_only"])):
        n = sum(c.values())
        rule_table[name] = {"files": n, "both": c["both"], "released_only": c["released_only"], "codelake_only": c["codelake_only"],
                            "agreement": round(1 - (c["released_only"] + c["codelake_only"]) / n, 6)}
    return {
        "files_compared": compared,
        "files_left_out_random": left_out,
        "routing_agreement": round(routing[True] / max(1, compared), 6),
        "decision_agreement": round(same / max(1, compared), 6),
        "decisions_differ": compared - same,
        "released_kept": sum(1 for r in released.values() if r["effective"]),
        "codelake_kept": int(decisions["keep"].sum()),
        "disagreement_classes": dict(classes.most_common()),
        "per_rule": rule_table,
        "examples": {k: v for k, v in examples.items() if v},
    }


def bench_against_released(frame: pl.DataFrame, rules: RuleSet, opc_root: Path, venv: Path, workdir: Path,
                           seed: int = 0, workers: int = 2, random_mode: str = "certain") -> dict:
    """Both filters over `frame` in this run: timings, the speed ratio and the agreement."""
    root = opc_root.resolve()
    commit = opc_commit(root)
    print(f"released filter: {root} at {commit}", file=sys.stderr)
    python = make_opc_venv(root, venv.resolve())
    rules = certain(rules) if random_mode == "certain" else rules
    mb = frame["text"].str.len_bytes().sum() / 1e6
    run_codelake(frame.head(50), rules, seed, workers)  # warm up (numba, regex compilation, worker start)
    ours_s, signals, decisions = run_codelake(frame, rules, seed, workers)
    summary, released = run_opc(python, root, frame, workdir, random_mode, seed)
    load = os.getloadavg()
    result = {
        "opc_commit": commit,
        "files": frame.height,
        "mb": round(mb, 3),
        "random_rules": random_mode,
        "codelake": {"total_s": round(ours_s, 3), "mb_per_s": round(mb / ours_s, 3), "workers": workers},
        "released": {**summary, "mb_per_s": round(mb / summary["total_s"], 4)},
        "speed_ratio": round(summary["total_s"] / ours_s, 1),
        "load_average": [round(x, 2) for x in load],
        **compare_with_released(frame, signals, decisions, released, rules, seed, random_mode),
    }
    return result
