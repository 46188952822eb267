"""Shared by the sandbox tests: tight limits so hostile programs end fast, and a way to find stray processes."""

from __future__ import annotations

import os
from pathlib import Path

from codelake.sandbox import SandboxLimits

TIGHT = SandboxLimits(
    wall_seconds=4.0, cpu_seconds=2, memory_bytes=512 << 20, processes=32, open_files=32,
    file_size_bytes=8 << 20, disk_bytes=32 << 20, output_bytes=256 << 10, kept_output_bytes=4096,
)


def host_processes_with(token: str) -> list[int]:
    """Host pids whose command line contains `token` (the sandboxed programs name their children with one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
