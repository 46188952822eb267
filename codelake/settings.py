"""Where things live: the project root, the rule files and the default lake location."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = PROJECT_ROOT / "rules"


def codelake_home() -> Path:
    """`$CODELAKE_HOME` when set, else `.codelake` under the project: the lake and landing zone live here."""
    home = os.environ.get("CODELAKE_HOME")
    return Path(home) if home else PROJECT_ROOT / ".codelake"


def default_lake_root() -> Path:
    return codelake_home() / "lake"


def default_landing_zone() -> Path:
    return codelake_home() / "landing" / "code"


def fingerprint(*paths: Path, extra: str = "") -> str:
    """Short hash of files' bytes (and an extra string): rule changes become a new code_version."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
