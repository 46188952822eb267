"""SQL and export benchmark: `codelake export` and `codelake sql` over a lake 1x and 4x larger.

    python -m bench.sql_export [--files 8000] [--scales 1 4]

Corpus: real source files of this machine (the standard library and site-packages' `.py` files) as a
`code_corpus` table with every column of the real one (doc metadata + text); scale N holds the files N
times under new doc ids, spread over four dumps at every scale. Each command runs in its own subprocess, exactly as a user
runs it (`python -m codelake.cli.main ...`), so its peak RSS is its own (`bench.ingest.run_measured`):

* export parquet -- `codelake export code_corpus --format parquet` (id/text/metadata shards, manifest)
* export jsonl   -- the same as JSONL
* query          -- `codelake sql` aggregating over every text (length, a LIKE) per language
* baseline       -- the least work a Parquet export does: pyarrow reads the table's files (its own
                    Delta snapshot) and writes their text and id columns back as one Parquet file.

The memory target: peak RSS at the largest scale / at the smallest stays at or below 1.3 for the
export and the query (memory does not grow with the lake). MB are the corpus texts' bytes (10**6).
Results also go to bench/results/sql_export-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import pyarrow as pa

from bench.code_lake import build_lake, corpus_files
from bench.ingest import RESULTS_DIR, ROOT, run_measured
from codelake.lake import Lake

MEMORY_TARGET = 1.3
QUERY = (
    "SELECT language, count(*) AS files, sum(strlen(text)) AS bytes, count(*) FILTER (WHERE text LIKE '%import%') AS importing "
    "FROM code_corpus GROUP BY ALL ORDER BY files DESC"
)


def baseline_copy(lake_root: str, out: str) -> None:
    """Subprocess entry: read the table's files with pyarrow and write id + text as one Parquet file."""
    import pyarrow.parquet as pq

    dataset = Lake(lake_root).dataset("code_corpus")
    schema = pa.schema([("id", pa.string()), ("text", dataset.schema.field("text").type)])
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in dataset.to_batches(columns=["doc_id", "text"], batch_size=1000):
            writer.write_batch(pa.RecordBatch.from_arrays([batch.column("doc_id"), batch.column("text")], schema=schema))


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "200"
    return env


def measure_scale(work: Path, files: list[Path], scale: int) -> dict:
    home = work / f"scale{scale}"
    lake, text_bytes = build_lake(home, files, scale)
    cli = [sys.executable, "-m", "codelake.cli.main", "--lake", str(lake.root)]
    commands = {
        "export_parquet": [*cli, "export", "code_corpus", "--to", str(home / "out-parquet"), "--format", "parquet"],
        "export_jsonl": [*cli, "export", "code_corpus", "--to", str(home / "out-jsonl"), "--format", "jsonl"],
        "query": [*cli, "sql", QUERY],
        "baseline": [sys.executable, "-m", "bench.sql_export", "--baseline", str(lake.root), str(home / "baseline.parquet")],
    }
    row: dict = {"scale": scale, "files": len(files) * scale, "text_mb": round(text_bytes / 1e6, 1)}
    for name, cmd in commands.items():
        measured = run_measured(cmd, cwd=ROOT, env=_env())
        row[name] = {"seconds": round(measured.seconds, 2), "mb_per_s": round(text_bytes / 1e6 / measured.seconds, 1),
                     "peak_rss_mb": round(measured.peak_rss / 1e6, 1)}
    manifest = json.loads((home / "out-parquet" / "manifest.json").read_text())
    assert manifest["rows"] == len(files) * scale, manifest["rows"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=8000)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--baseline", nargs=2, metavar=("LAKE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline:
        baseline_copy(*args.baseline)
        return 0
    files = corpus_files(args.files)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        rows = [measure_scale(Path(tmp), files, scale) for scale in args.scales]
    small, large = rows[0], rows[-1]
    ratios = {name: round(large[name]["peak_rss_mb"] / small[name]["peak_rss_mb"], 3) for name in ("export_parquet", "export_jsonl", "query")}
    for row in rows:
        print(f"scale {row['scale']}: {row['files']:,} files, {row['text_mb']} MB of text")
        for name in ("export_parquet", "export_jsonl", "query", "baseline"):
            m = row[name]
            print(f"  {name:15s} {m['seconds']:7.2f} s  {m['mb_per_s']:7.1f} MB/s  peak RSS {m['peak_rss_mb']:7.1f} MB")
    print(f"peak RSS {large['scale']}x / {small['scale']}x: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items())
          + f" (target <= {MEMORY_TARGET})")
    ok = all(v <= MEMORY_TARGET for v in ratios.values())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"sql_export-{stamp}.json"
    path.write_text(json.dumps({"rows": rows, "peak_rss_ratio": ratios, "memory_target": MEMORY_TARGET, "ok": ok}, indent=2) + "\n")
    print(f"results: {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
