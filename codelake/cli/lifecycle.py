"""`codelake retire` and `codelake optout report`: taking a dump or requested files out, and saying
which artefacts held them."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from codelake.lake import Lake
from codelake.settings import default_landing_zone


def add_lifecycle_commands(sub) -> None:
    retire = sub.add_parser("retire", help="remove a dump from the lake (new versions, lineage `retired`), re-deciding survivors")
    retire.add_argument("dump", help="the dump's name (its code_dumps partition)")
    retire.add_argument("--reason", required=True, help="why: recorded in the lineage of every file of the dump")
    retire.add_argument("--by", default=None, help="who retires it (default: the current user)")
    retire.add_argument("--landing", default=None, help=f"landing zone for the tombstone that stops re-ingestion (default: {default_landing_zone()})")
    retire.add_argument("--preset", default=None, help="fuzzy_dedup preset for the rebuild (default: the one its last run used)")
    retire.add_argument("--seed", type=int, default=0, help="filtered's seed for the rebuild")
    retire.add_argument("--workers", type=int, default=2, help="workers of the rebuilt stages")
    optout = sub.add_parser("optout", help="opt-out requests (rules/optout.yaml, $CODELAKE_HOME/landing/optout/)")
    optout_sub = optout.add_subparsers(dest="optout_command", required=True)
    report = optout_sub.add_parser("report", help="per request: affected files, tables still holding them, shard versions and training runs")
    report.add_argument("--request", default=None, help="only this request id")
    report.add_argument("--files", type=int, default=20, help="files listed per request (0: all)")


def run_lifecycle_command(args: argparse.Namespace, lake: Lake, console: Console) -> int | None:
    """The exit status, or None when the command is not one of these."""
    if args.command == "retire":
        return _retire(args, lake, console)
    if args.command == "optout":
        return _optout_report(args, lake, console)
    return None


def _retire(args: argparse.Namespace, lake: Lake, console: Console) -> int:
    from codelake.lifecycle.rebuild import RebuildSettings
    from codelake.lifecycle.retire import retire_dump

    landing = Path(args.landing) if args.landing else default_landing_zone()
    result = retire_dump(
        lake, args.dump, args.reason, args.by or getpass.getuser(), landing=landing,
        settings=RebuildSettings(preset=args.preset, seed=args.seed, workers=args.workers), progress=lambda line: console.print(escape(line)),
    )
    console.print(f"[bold]dump {escape(result.dump)} retired[/bold] by {escape(result.by)} ({escape(result.reason)}): "
                  f"{result.files_retired} files dropped as `retired` in raw_files version {result.raw_files_version}; "
                  f"{result.earlier_drops} earlier drops kept in its lineage")
    for run in result.rebuilt:
        status = "checks pass" if run.checks_pass else f"[red]CHECK FAILED[/red] {run.conservation} duplicates={run.duplicates}"
        console.print(f"  {run.report.stage:<15} version {run.report.version}: {run.report.rows_kept} kept of {run.report.rows_in} — {status}")
    if result.tombstone:
        console.print(f"tombstone: {result.tombstone} (the landing-zone sensor will not ingest {escape(result.dump)} again)")
    console.print("Dagster: the code_dumps partition stays registered; the `retire_dump` job also deletes it")
    _print_exposure(console, result.shards, result.unreadable_shard_versions, result.training_runs, f"files of {result.dump}")
    return 0 if result.checks_pass else 1


def _print_exposure(console: Console, shards, unreadable, runs, what: str) -> None:
    if not shards:
        console.print(f"no shard version holds {escape(what)}")
    for hit in shards:
        console.print(f"  [yellow]{hit.stage} version {hit.version}[/yellow]: {escape(hit.shard_folder)} holds {hit.files} of them ({hit.tokens:,} tokens)")
    for line in unreadable:
        console.print(f"  [red]could not read {escape(line)}[/red]: whether it held them is unknown")
    for run in runs:
        how = f"trained on {run.shard_folder}" if run.shard_folder else f"started from a checkpoint of {run.inherited_from}"
        console.print(f"  [yellow]training run {escape(str(run.run_dir))}[/yellow]: {escape(how)}")


def _optout_report(args: argparse.Namespace, lake: Lake, console: Console) -> int:
    from codelake.lifecycle.optout import OptOutList
    from codelake.lifecycle.optout_report import optout_report

    optout = OptOutList.load()
    if args.request:
        optout = OptOutList(tuple(r for r in optout.requests if r.id == args.request), optout.files)
        if not optout:
            console.print(f"[red]no opt-out request {escape(args.request)!r}[/red]")
            return 1
    if not optout:
        console.print(f"no opt-out requests in {', '.join(str(f) for f in optout.files) or 'rules/optout.yaml'}")
        return 0
    for report in optout_report(lake, optout):
        request = report.request
        console.rule(f"{escape(request.id)} ({escape(request.date)}, from {escape(request.requester)})")
        console.print(f"covers: {escape(request.selectors)}   [dim]{escape(request.source)}[/dim]")
        console.print(f"{len(report.files)} files affected")
        shown = report.files if args.files == 0 else report.files[: args.files]
        for f in shown:
            console.print(f"  {escape(f.repo)}/{escape(f.path)}  dump={escape(f.dump)}  {f.doc_id}  — {escape(f.status)}")
        if len(shown) < len(report.files):
            console.print(f"  … {len(report.files) - len(shown)} more (--files 0 lists all)")
        for stage, n in report.still_in.items():
            console.print(f"  [red]{stage} still holds {n} of them[/red]: materialize exact_dedup and the stages after it")
        for dump, n in report.raw_text_in.items():
            console.print(f"  raw_files[{escape(dump)}] still holds the text of {n} (excluded downstream; re-ingest the dump to remove it)")
        _print_exposure(console, report.shards, report.unreadable_shard_versions, report.training_runs, "them")
    return 0
