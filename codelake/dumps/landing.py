"""The landing zone: which dumps in a directory are completely copied and may be ingested.

A directory dump is complete once its `_SUCCESS` marker exists (written last by the copier). An archive
is complete once it has not been modified for `settle_seconds` and its name is final (copiers write
`name.tar.gz.part` or a dotfile and rename). Names must be valid partition keys.

A dump may leave the landing zone once ingested (archived): its rows stay in the lake, `locate_dump`
says it is gone. A retired dump leaves a tombstone, `.retired/<name>.json`, so that a copy still (or
again) in the landing zone is not ingested again.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from codelake.dumps.sources import ARCHIVE_SUFFIXES, COMPLETE_MARKER

_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
RETIRED_DIR = ".retired"  # a dotfolder: never taken for a dump


@dataclass(frozen=True)
class LandedDump:
    name: str
    path: Path


@dataclass(frozen=True)
class Skipped:
    path: Path
    why: str


def _name_of(entry: Path, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if entry.name.endswith(suffix):
            return entry.name[: -len(suffix)]
    return entry.name


def scan_landing_zone(
    landing: Path, settle_seconds: float = 30.0, now: float | None = None, suffixes: tuple[str, ...] = ARCHIVE_SUFFIXES
) -> tuple[list[LandedDump], list[Skipped]]:
    """(complete dumps sorted by name, entries not (yet) ingestible with the reason). `suffixes`: the file
    dumps this landing zone takes (archives of repositories by default; the web landing zone: WARC files)."""
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
        elif entry.is_file() and entry.name.endswith(suffixes):
            age = now - entry.stat().st_mtime
            if age < settle_seconds:
                skipped.append(Skipped(entry, f"modified {age:.0f}s ago (< {settle_seconds:.0f}s; still being copied?)"))
                continue
        else:
            continue
        name = _name_of(entry, suffixes)
        if not _VALID_NAME.match(name):
            skipped.append(Skipped(entry, f"dump name {name!r} must match {_VALID_NAME.pattern}"))
            continue
        ready.setdefault(name, []).append(entry)
    dumps = []
    for name, paths in sorted(ready.items()):
        retired = retirement_of(landing, name)
        if retired is not None:
            skipped.extend(Skipped(p, f"retired ({retired.get('reason', '?')!r}, by {retired.get('by', '?')}); "
                                      f"delete {retirement_path(landing, name)} to ingest it again") for p in paths)
        elif len(paths) > 1:
            skipped.extend(Skipped(p, f"ambiguous: several dumps are named {name!r}") for p in paths)
        else:
            dumps.append(LandedDump(name, paths[0]))
    return dumps, skipped


def locate_dump(landing: Path, name: str, suffixes: tuple[str, ...] = ARCHIVE_SUFFIXES) -> Path | None:
    """The path of dump `name` in the landing zone (directory or archive), or None when it is not there
    (never landed, or archived after ingestion). Two entries with that name are an error."""
    candidates = [landing / name] + [landing / f"{name}{suffix}" for suffix in suffixes]
    found = [p for p in candidates if p.exists()]
    if len(found) > 1:
        raise FileNotFoundError(f"{landing}: several dumps are named {name!r}: {', '.join(p.name for p in found)}; keep one")
    return found[0] if found else None


def find_dump(landing: Path, name: str, suffixes: tuple[str, ...] = ARCHIVE_SUFFIXES) -> Path:
    """The path of dump `name` in the landing zone (directory or archive)."""
    found = locate_dump(landing, name, suffixes)
    if found is None:
        raise FileNotFoundError(
            f"{landing}: expected exactly one dump named {name!r} (a folder or {', '.join(suffixes)}), found 0"
        )
    return found


def retirement_path(landing: Path, name: str) -> Path:
    return landing / RETIRED_DIR / f"{name}.json"


def retirement_of(landing: Path, name: str) -> dict | None:
    """The tombstone of a retired dump (who, when, why), or None."""
    path = retirement_path(landing, name)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return {"reason": f"unreadable tombstone {path}: {err}", "by": "?"}
    return record if isinstance(record, dict) else {"reason": f"{path}: not a JSON object", "by": "?"}


def write_retirement(landing: Path, name: str, record: dict) -> Path:
    """Leave the tombstone of a retired dump (written to a temporary name, then renamed into place)."""
    path = retirement_path(landing, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
