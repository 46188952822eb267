"""The landing zone: which dumps in a directory are completely copied and may be ingested.

A directory dump is complete once its `_SUCCESS` marker exists (written last by the copier). An archive
is complete once it has not been modified for `settle_seconds` and its name is final (copiers write
`name.tar.gz.part` or a dotfile and rename). Names must be valid partition keys.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from codelake.dumps.sources import ARCHIVE_SUFFIXES, COMPLETE_MARKER, dump_name_of

_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class LandedDump:
    name: str
    path: Path


@dataclass(frozen=True)
class Skipped:
    path: Path
    why: str


def scan_landing_zone(landing: Path, settle_seconds: float = 30.0, now: float | None = None) -> tuple[list[LandedDump], list[Skipped]]:
    """(complete dumps sorted by name, entries not (yet) ingestible with the reason)."""
    now = time.time() if now is None else now
    ready: dict[str, list[Path]] = {}
    skipped: list[Skipped] = []
    if not landing.is_dir():
        return [], []
    for entry in sorted(landing.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            skipped.append(Skipped(entry, "symlinks are not ingested"))
            continue
        if entry.is_dir():
            if not (entry / COMPLETE_MARKER).is_file():
                skipped.append(Skipped(entry, f"no {COMPLETE_MARKER} marker yet (still being copied?)"))
                continue
        elif entry.is_file() and entry.name.endswith(ARCHIVE_SUFFIXES):
            age = now - entry.stat().st_mtime
            if age < settle_seconds:
                skipped.append(Skipped(entry, f"modified {age:.0f}s ago (< {settle_seconds:.0f}s; still being copied?)"))
                continue
        else:
            continue
        name = dump_name_of(entry)
        if not _VALID_NAME.match(name):
            skipped.append(Skipped(entry, f"dump name {name!r} must match {_VALID_NAME.pattern}"))
            continue
        ready.setdefault(name, []).append(entry)
    dumps = []
    for name, paths in sorted(ready.items()):
        if len(paths) > 1:
            skipped.extend(Skipped(p, f"ambiguous: several dumps are named {name!r}") for p in paths)
        else:
            dumps.append(LandedDump(name, paths[0]))
    return dumps, skipped


def find_dump(landing: Path, name: str) -> Path:
    """The path of dump `name` in the landing zone (directory or archive)."""
    candidates = [landing / name] + [landing / f"{name}{suffix}" for suffix in ARCHIVE_SUFFIXES]
    found = [p for p in candidates if p.exists()]
    if len(found) != 1:
        raise FileNotFoundError(
            f"{landing}: expected exactly one dump named {name!r} (a folder or {', '.join(ARCHIVE_SUFFIXES)}), found {len(found)}"
        )
    return found[0]
