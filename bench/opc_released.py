"""Run OpenCoder's released filter (OpenCoder-llm/opc_data_filtering) on a JSONL corpus, as its notebook does.

    <opc venv>/bin/python bench/opc_released.py --opc-root DIR --corpus IN.jsonl --out OUT.jsonl [--random certain|seed]

This file runs inside the virtualenv made from that repository's requirements.txt, never in the
project's: it imports the checkout's own modules (nothing of them is copied here) and, for each
row, does what examples/data_cleaning_example.ipynb does in one process: `get_program_lang(name,
ext)` and `get_doc_type(program_lang)` from its `utils.preprocessing`, then
`ComputeCodeQualitySignal().evaluate(...)` and `CodeFilter().evaluate(...)`. One input row:
{"doc_id", "text", "filename" (name without extension), "ext" (without the dot), "size", "lang"};
one output row: doc_id, program_lang, doc_type, quality_signal (the JSON string it returns),
effective, hit_map, err_msg. The last line on stdout is a JSON summary with the seconds spent in the
two evaluate loops (reading and writing the JSONL are not counted).

`--random certain` makes the released filter's eight `... and random.random() > 0.2` rules fire
whenever their condition holds (random.random returns 1.0 in this process), so their decisions can
be compared with codelake's rules at probability 1; `--random seed` seeds Python's `random` with
`--seed` and leaves the rules probabilistic.
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder (bench/) heads sys.path, and its modules would shadow the
# standard library's (bench/tokenize.py for `tokenize`, which the released filter imports).
sys.path = [p for p in sys.path if p and __import__("os").path.abspath(p) != __import__("os").path.dirname(__import__("os").path.abspath(__file__))]

import argparse
import json
import os
import random
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--opc-root", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--random", choices=("certain", "seed"), default="certain")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    root = os.path.abspath(args.opc_root)
    sys.path.insert(0, root)  # the notebook appends its ROOT_PATH; first here so no installed `utils` shadows it
    from pipeline.compute_filtering import CodeFilter
    from pipeline.compute_quality_signals import ComputeCodeQualitySignal
    from utils.preprocessing import get_doc_type, get_program_lang

    if args.random == "certain":
        random.random = lambda: 1.0  # `random.random() > 0.2` always holds: the condition alone decides
    else:
        random.seed(args.seed)

    with open(args.corpus, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]

    ccqs = ComputeCodeQualitySignal()
    code_filter = CodeFilter()
    t0 = time.perf_counter()
    signals = []
    for row in rows:
        program_lang = get_program_lang(row["filename"], row["ext"])
        doc_type = get_doc_type(program_lang)
        result = json.loads(ccqs.evaluate(text=row["text"], filename=row["filename"], lang=row["lang"], ext=row["ext"],
                                          file_size_in_byte=row["size"], program_lang=program_lang, doc_type=doc_type))
        signals.append((program_lang, doc_type, result))
    t1 = time.perf_counter()
    decisions = [
        json.loads(code_filter.evaluate(doc_type=doc_type, lang=row["lang"], program_lang=program_lang,
                                        quality_signal=result.get("quality_signal")))
        for row, (program_lang, doc_type, result) in zip(rows, signals)
    ]
    t2 = time.perf_counter()

    errors = 0
    with open(args.out, "w", encoding="utf-8") as f:
        for row, (program_lang, doc_type, result), decision in zip(rows, signals, decisions):
            err = {**json.loads(result.get("err_msg", "{}")), **json.loads(decision.get("err_msg", "{}"))}
            errors += bool(err)
            f.write(json.dumps({
                "doc_id": row["doc_id"], "program_lang": program_lang, "doc_type": doc_type,
                "quality_signal": result.get("quality_signal"), "effective": decision["effective"] == "1",
                "hit_map": json.loads(decision["hit_map"]), "err_msg": err,
            }, ensure_ascii=False) + "\n")
    print(json.dumps({"files": len(rows), "signals_s": round(t1 - t0, 3), "filter_s": round(t2 - t1, 3),
                      "total_s": round(t2 - t0, 3), "files_with_errors": errors, "random": args.random}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
