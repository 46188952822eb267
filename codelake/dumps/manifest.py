"""The repository manifest: `.codelake.json` at the root of every repository folder of a dump."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from codelake.dumps.names import printable_name


def _storable(text: str, single_line: bool) -> bool:
    if single_line:
        return printable_name(text) == text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ManifestError(ValueError):
    """A manifest is unparsable or lacks a required field; the message names the manifest file."""


@dataclass(frozen=True)
class RepoManifest:
    name: str  # "owner/repo"
    stars: int
    last_commit: datetime  # timezone-aware, UTC
    license: str | None
    source: str


def _parse_time(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise ManifestError(f"{where}: 'last_commit' must be an ISO-8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise ManifestError(f"{where}: 'last_commit' is not ISO-8601: {value!r}") from err
    if parsed.tzinfo is None:
        raise ManifestError(f"{where}: 'last_commit' needs a timezone (e.g. 'Z'): {value!r}")
    return parsed.astimezone(timezone.utc)


def parse_manifest(raw: bytes, where: str) -> RepoManifest:
    """Parse and validate a manifest's bytes; `where` names the file in errors."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ManifestError(f"{where}: not valid UTF-8 JSON: {err}") from err
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected a JSON object")
    # JSON can spell what a table cannot hold (a lone surrogate) or a name should not (a newline).
    for key in ("name", "license", "source"):
        value = data.get(key)
        if isinstance(value, str) and not _storable(value, single_line=key == "name"):
            raise ManifestError(f"{where}: {key!r} holds an unpaired surrogate or a control character: {printable_name(value)!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or "\0" in name:
        raise ManifestError(f"{where}: 'name' must be a non-empty string")
    stars = data.get("stars")
    if not isinstance(stars, int) or isinstance(stars, bool) or stars < 0:
        raise ManifestError(f"{where}: 'stars' must be an integer >= 0, got {stars!r}")
    license_ = data.get("license")
    if license_ is not None and not isinstance(license_, str):
        raise ManifestError(f"{where}: 'license' must be a string or null")
    source = data.get("source", "")
    if not isinstance(source, str):
        raise ManifestError(f"{where}: 'source' must be a string")
    return RepoManifest(name.strip(), stars, _parse_time(data.get("last_commit"), where), license_, source)
