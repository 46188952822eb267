"""`codelake compact` and `codelake vacuum`: small files merged, unreferenced files deleted."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape

from codelake.lake import Lake


def add_maintenance_commands(sub) -> None:
    compact = sub.add_parser("compact", help="merge each table's small data files (a new version, the same rows)")
    compact.add_argument("tables", nargs="*", help="tables to compact (default: every table of the lake)")
    vacuum = sub.add_parser("vacuum", help="list (or --delete) data files that no version younger than the horizon references")
    vacuum.add_argument("tables", nargs="*", help="tables to vacuum (default: every table of the lake)")
    vacuum.add_argument("--retain-hours", type=int, default=None, help="horizon (default: rules/lake_maintenance.yaml's retain_hours)")
    vacuum.add_argument("--delete", action="store_true", help="delete the files (default: only list them, as Delta's dry run)")
    vacuum.add_argument("--force", action="store_true", help="allow a horizon below Delta's 7 days")


def run_maintenance_command(args: argparse.Namespace, lake: Lake, console: Console) -> int | None:
    """The exit status, or None when the command is not one of these."""
    from codelake.lake.maintenance import compact, vacuum

    if args.command == "compact":
        for result in compact(lake, args.tables):
            if result.skipped:
                console.print(f"[yellow]{escape(result.table)}: skipped[/yellow]: {escape(result.skipped)}")
            elif result.committed:
                console.print(f"{escape(result.table)}: {result.files_before} -> {result.files_after} files, version {result.version_after}")
            else:
                console.print(f"{escape(result.table)}: {result.files_before} files, nothing to merge")
        return 0
    if args.command == "vacuum":
        results = vacuum(lake, args.tables, retain_hours=args.retain_hours, delete=args.delete, force=args.force)
        for result in results:
            if not result.files:
                console.print(f"{escape(result.table)}: nothing to delete")
                continue
            verb = "deleted" if result.deleted else "would delete"
            console.print(f"{escape(result.table)}: {verb} {len(result.files)} files, {result.bytes / 1e6:,.1f} MB")
        if not args.delete and any(r.files for r in results):
            console.print("a dry run: add --delete to delete them (versions older than the horizon stop being readable)")
        return 0
    return None
