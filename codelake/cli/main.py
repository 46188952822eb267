"""The `codelake` command: why, stats, run (one stage without Dagster)."""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from codelake.cli.inspect import print_rules, print_stats, print_why
from codelake.cli.lifecycle import add_lifecycle_commands, run_lifecycle_command
from codelake.cli.maintenance import add_maintenance_commands, run_maintenance_command
from codelake.dumps import DumpError
from codelake.lake import Lake
from codelake.registry import STAGES
from codelake.settings import default_lake_root


def _same_lake(input_path: str, output: Lake) -> None:
    # Whole-lake stages read upstream tables and keep state (signatures) in the lake they write.
    if Lake(input_path).root.resolve() != output.root.resolve():
        raise ValueError("this stage reads and writes one lake: --input and --output must be the same directory")


def _stages_to_run(args: argparse.Namespace) -> list:
    """The stage named, or with --from the registry's chain from that stage to it, in order."""
    from codelake.registry import chain, stage

    if args.from_stage is None:
        return [stage(args.stage)]
    stages = chain(args.stage)
    names = [s.name for s in stages]
    if args.from_stage not in names:
        raise ValueError(f"--from {args.from_stage}: not upstream of {args.stage} (its chain: {' -> '.join(names)})")
    stages = stages[names.index(args.from_stage) :]
    if args.rules is not None and sum("rules" in s.options for s in stages) > 1:
        raise ValueError(f"--rules means a different file to each of {', '.join(s.name for s in stages if 'rules' in s.options)}: "
                         "run them one at a time to give one")
    return stages


def _run_stage(args: argparse.Namespace, console: Console) -> int:
    """One stage, or a stretch of the chain in this one process (--from): each stage reads its upstream
    table from the output lake and writes its table and lineage exactly as its own run does; the
    interpreter, its imports and DuckDB's Delta extension are loaded once for all of them."""
    from codelake.registry import StageOptions

    output = Lake(args.output)
    for i, spec in enumerate(_stages_to_run(args)):
        source = args.input if i == 0 else args.output  # later stages read what the earlier ones wrote
        if spec.input_kind == "same_lake":
            _same_lake(source, output)
        started = time.perf_counter()
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("reading", total=None)

            def progress(files: int, nbytes: int | None = None, name: str = spec.name, bar: Progress = bar, task=task) -> None:
                if files % 500 == 0:
                    read = f", {nbytes / 1e6:,.1f} MB" if nbytes is not None else ""
                    bar.update(task, description=f"{name}: {files:,} files{read}")

            options = StageOptions(input=source, preset=args.preset, workers=args.workers, rules=args.rules, seed=args.seed, progress=progress)
            report = spec.run(output, options)
        seconds = time.perf_counter() - started
        console.print(report.summary())
        console.print(f"{report.bytes_in / 1e6:,.1f} MB in {seconds:.2f}s ({report.bytes_in / 1e6 / max(seconds, 1e-9):,.1f} MB/s)")
    _refresh_catalog(output, console)
    return 0


def _refresh_catalog(lake: Lake, console: Console) -> None:
    # As after a materialization: the DuckDB catalog beside the lake gets the new table or schema.
    import duckdb

    from codelake.lake.catalog import refresh_catalog

    try:
        refresh_catalog(lake)
    except (duckdb.Error, OSError) as err:
        console.print(f"[yellow]warning:[/yellow] the DuckDB catalog was not refreshed: {err}")


def _size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "B": 1}
    upper = text.strip().upper()
    for unit, factor in units.items():
        if upper.endswith(unit) and upper[: -len(unit)].strip().replace(".", "", 1).isdigit():
            return int(float(upper[: -len(unit)]) * factor)
    if upper.isdigit():
        return int(upper)
    raise argparse.ArgumentTypeError(f"{text!r} is not a size (bytes, or e.g. 64MB, 1GB)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codelake", description="codelake: a data lakehouse for code LLM training data")
    parser.add_argument("--lake", default=None, help=f"lake directory (default: {default_lake_root()})")
    sub = parser.add_subparsers(dest="command", required=True)
    why = sub.add_parser("why", help="show a file's path through every stage, with reasons")
    why.add_argument("target", help="a doc_id, or repo/path (e.g. python/cpython-3.12/Lib/os.py)")
    sub.add_parser("stats", help="per-stage, per-reason counts")
    sub.add_parser("rules", help="per filter rule: files and bytes dropped, languages, a sample; and the rules that dropped nothing")
    sql = sub.add_parser("sql", help="read-only SQL over every lake table (a view each; table_at_version(name, N) for time travel)")
    sql.add_argument("query", help='e.g. "SELECT language, count(*) FROM code_corpus GROUP BY ALL ORDER BY 2 DESC"')
    sql_out = sql.add_mutually_exclusive_group()
    sql_out.add_argument("--csv", metavar="FILE", help="write the whole result as CSV instead of printing it")
    sql_out.add_argument("--parquet", metavar="FILE", help="write the whole result as Parquet instead of printing it")
    sql.add_argument("--max-rows", type=int, default=100, help="rows printed (default 100)")
    sub.add_parser("catalog", help="rewrite the DuckDB catalog file beside the lake (a view per table) and print how to open it")
    export = sub.add_parser("export", help="a corpus table's rows as id/text/metadata shards (HF datasets, datatrove) with a manifest")
    export.add_argument("table", help="a lake table with doc_id and text columns: code_corpus, filtered, transformed, raw_files, …")
    export.add_argument("--to", required=True, help="the export folder (new or empty; see --overwrite)")
    export.add_argument("--format", choices=["parquet", "jsonl"], default="parquet")
    export.add_argument("--version", type=int, default=None, help="the table's Delta version (default: newest)")
    export.add_argument("--max-rows", type=int, default=100_000, help="rows per file at most (default 100000)")
    export.add_argument("--max-bytes", type=_size, default=256 * 10**6, help="bytes of row data per file at most, e.g. 64MB (default 256MB)")
    export.add_argument("--id-column", default="doc_id")
    export.add_argument("--text-column", default="text")
    export.add_argument("--overwrite", action="store_true", help="replace an earlier export in --to")
    sub.add_parser("doctor", help="which deployment is active ($CODELAKE_DEPLOYMENT) and whether each piece it needs answers")
    add_lifecycle_commands(sub)
    add_maintenance_commands(sub)
    run = sub.add_parser("run", help="run one stage without Dagster")
    run.add_argument("stage", choices=list(STAGES), help="a stage of codelake/registry.py")
    run.add_argument("--from", dest="from_stage", choices=list(STAGES), default=None,
                     help="run every stage of the chain from this one up to STAGE, in order, in this one process (e.g. "
                     "`run code_corpus --from raw_files --input DUMP`); --input is the first stage's")
    run.add_argument("--input", required=True, help="raw_files: a dump (folder or archive); later stages: the lake holding the upstream table")
    run.add_argument("--output", required=True, help="the lake directory to write the stage's table and lineage into")
    run.add_argument("--preset", default=None, help="fuzzy_dedup: a preset of rules/fuzzy_dedup.yaml (default: its default_preset)")
    run.add_argument("--workers", type=int, default=2, help="fuzzy_dedup, filter_signals: worker threads; transformed: worker processes")
    run.add_argument("--rules", default=None, help="filtered: a filter rule file or directory (default rules/filters/: copy it, edit a "
                     "threshold, re-decide without re-reading any file); code_corpus: a mixture file (default rules/mixture.yaml)")
    run.add_argument("--seed", type=int, default=0, help="filtered: seed of the probabilistic rules' per-file draws")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    lake = Lake(args.lake or default_lake_root())
    try:
        for handled in (run_lifecycle_command, run_maintenance_command):
            status = handled(args, lake, console)
            if status is not None:
                return status
        if args.command == "doctor":
            from codelake.cli.doctor import print_doctor

            return print_doctor(console)
        if args.command == "why":
            return print_why(lake, args.target, console)
        if args.command == "stats":
            return print_stats(lake, console)
        if args.command == "rules":
            return print_rules(lake, console)
        if args.command == "sql":
            from codelake.cli.sql import run_sql

            return run_sql(lake, args.query, console, csv=args.csv, parquet=args.parquet, max_rows=args.max_rows)
        if args.command == "catalog":
            from codelake.lake.catalog import refresh_catalog, shell_command

            console.print(f"{refresh_catalog(lake)}\nopen it with: {shell_command(lake)}", markup=False, highlight=False)
            return 0
        if args.command == "export":
            from codelake.export import export_table

            m = export_table(lake, args.table, args.to, args.format, args.version, args.max_rows, args.max_bytes, args.id_column,
                             args.text_column, args.overwrite)
            console.print(f"{args.table} version {m['delta_version']}: {m['rows']:,} rows in {len(m['files'])} files under {args.to}")
            return 0
        return _run_stage(args, Console(stderr=True) if args.command == "run" else console)
    except (DumpError, FileNotFoundError, ValueError) as err:
        Console(stderr=True).print(f"[red]error:[/red] {err}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
