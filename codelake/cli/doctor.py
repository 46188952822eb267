"""`codelake doctor`: the active deployment and one line per check, with what to fix."""

from __future__ import annotations

import os

from rich.console import Console

from codelake.cluster.doctor import run_checks


def print_doctor(console: Console) -> int:
    deployment = os.environ.get("CODELAKE_DEPLOYMENT", "local")
    if deployment not in {"local", "cluster"}:
        console.print(f"[red]CODELAKE_DEPLOYMENT={deployment!r} is not one of ['cluster', 'local'][/red]")
        return 1
    console.print(f"deployment: [bold]{deployment}[/bold] (CODELAKE_DEPLOYMENT)")
    checks = run_checks(deployment)
    width = max(len(c.name) for c in checks)
    for check in checks:  # one unwrapped line per check: readable in a log and greppable
        status = "[green]ok    [/green]" if check.ok else "[red]FAILED[/red]"
        console.print(f"{status}  {check.name.ljust(width)}  ", end="")
        console.print(check.detail, markup=False, highlight=False, soft_wrap=True)
    failed = [c for c in checks if not c.ok]
    console.print(f"{len(checks) - len(failed)} ok, {len(failed)} failed")
    return 1 if failed else 0
