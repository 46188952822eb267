"""Opt-out (takedown) requests: repositories, paths and authors' emails to keep out of the lake.

Requests come from `rules/optout.yaml` and from YAML/JSON files dropped in `$CODELAKE_HOME/landing/optout/`
(each file one request, or `requests: [...]`). A request names the repositories it covers (globs over
`owner/name`, case-insensitive: `owner/*` is every repository of an owner), optionally only some paths in
them (globs: `*` stays inside a folder, `**` crosses folders), and/or authors' emails (a file whose text
contains the address, in any repository). `raw_files` drops matching files at ingestion and `exact_dedup`
drops already-ingested ones, both as lineage drops `opted_out` naming the request.

Globs become anchored regular expressions that Python's `re` and DuckDB's RE2 read the same way, so the
stage that streams files (Python) and the stage that decides in SQL agree on every file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from codelake.rules import RuleFileError, parse_yaml
from codelake.settings import RULES_DIR, codelake_home

OPTOUT_RULES = RULES_DIR / "optout.yaml"
OPTOUT_REASON = "opted_out"
_REQUEST_FILE_SUFFIXES = (".yaml", ".yml", ".json")
_REGEX_SPECIAL = set(".^$*+?()[]{}|\\")
_KEYS = {"id", "date", "requester", "repositories", "paths", "emails", "note"}


def optout_dropbox() -> Path:
    """Where request files may be dropped: `$CODELAKE_HOME/landing/optout`."""
    return codelake_home() / "landing" / "optout"


def glob_regex(pattern: str) -> str:
    """An anchored regex for a glob: `**/` any folders (or none), `**` anything, `*` and `?` within one
    folder; every other character literal."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append("\\" + pattern[i] if pattern[i] in _REGEX_SPECIAL else pattern[i])
            i += 1
    return "".join(out)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class OptOutRequest:
    id: str
    date: str
    requester: str
    source: str  # the file it came from
    repositories: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    _repo_res: tuple[re.Pattern, ...] = field(default=(), repr=False, compare=False)
    _path_res: tuple[re.Pattern, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_repo_res", tuple(re.compile(glob_regex(p.lower())) for p in self.repositories))
        object.__setattr__(self, "_path_res", tuple(re.compile(glob_regex(p)) for p in self.paths))

    @property
    def selectors(self) -> str:
        """What the request covers, in words (shown in the lineage detail and the report)."""
        parts = []
        if self.repositories:
            parts.append("repositories " + ", ".join(self.repositories) + (f" (paths {', '.join(self.paths)})" if self.paths else ""))
        if self.emails:
            parts.append("files containing " + ", ".join(self.emails))
        return "; ".join(parts)

    @property
    def detail(self) -> str:
        """The lineage detail of a file this request drops."""
        return f"opt-out request {self.id} ({self.date}, from {self.requester}): {self.selectors}"

    @property
    def needs_text(self) -> bool:
        return bool(self.emails)

    def matches(self, repo: str, path: str, text: str | None = None) -> bool:
        if self._repo_res and any(r.fullmatch(repo.lower()) for r in self._repo_res):
            if not self._path_res or any(r.fullmatch(path) for r in self._path_res):
                return True
        if self.emails and text is not None:
            lowered = text.lower()
            return any(email.lower() in lowered for email in self.emails)
        return False

    def sql_predicate(self, repo: str = "repo", path: str = "path", text: str | None = "text") -> str:
        """The same test as `matches`, as a DuckDB boolean expression over the given columns (no text
        column: the email selectors are left out)."""
        terms = []
        if self.repositories:
            repo_test = " OR ".join(f"regexp_full_match(lower({repo}), {_sql_string(glob_regex(p.lower()))})" for p in self.repositories)
            path_test = " OR ".join(f"regexp_full_match({path}, {_sql_string(glob_regex(p))})" for p in self.paths) or "true"
            terms.append(f"(({repo_test}) AND ({path_test}))")
        if self.emails and text is not None:
            terms.append("(" + " OR ".join(f"contains(lower({text}), {_sql_string(e.lower())})" for e in self.emails) + ")")
        return " OR ".join(terms) or "false"


@dataclass(frozen=True)
class OptOutList:
    requests: tuple[OptOutRequest, ...] = ()
    files: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.requests)

    @property
    def needs_text(self) -> bool:
        return any(r.needs_text for r in self.requests)

    def first_match(self, repo: str, path: str, text: str | None = None) -> OptOutRequest | None:
        """The first request (in file order) covering this file, or None."""
        for request in self.requests:
            if request.matches(repo, path, text):
                return request
        return None

    def sql_request_id(self, repo: str = "repo", path: str = "path", text: str | None = "text") -> str:
        """A DuckDB expression: the id of the first request covering the row, NULL when none does."""
        if not self.requests:
            return "NULL::VARCHAR"
        cases = " ".join(f"WHEN {r.sql_predicate(repo, path, text)} THEN {_sql_string(r.id)}" for r in self.requests)
        return f"CASE {cases} END"

    def by_id(self, request_id: str) -> OptOutRequest:
        for request in self.requests:
            if request.id == request_id:
                return request
        raise KeyError(request_id)

    @classmethod
    def load(cls, rules: Path | None = OPTOUT_RULES, dropbox: Path | None = None) -> "OptOutList":
        """Requests from the rule file and every request file in the dropbox (default
        `$CODELAKE_HOME/landing/optout`); an id given twice is an error naming both files."""
        files = request_files(rules, optout_dropbox() if dropbox is None else dropbox)
        requests: list[OptOutRequest] = []
        seen: dict[str, Path] = {}
        for path in files:
            for request in _parse_file(path):
                if request.id in seen:
                    raise RuleFileError(f"{path}: opt-out request id {request.id!r} is already used in {seen[request.id]}")
                seen[request.id] = path
                requests.append(request)
        return cls(tuple(requests), tuple(files))


def request_files(rules: Path | None = OPTOUT_RULES, dropbox: Path | None = None) -> list[Path]:
    files = [rules] if rules is not None and rules.is_file() else []
    if dropbox is not None and dropbox.is_dir():
        files += sorted(p for p in dropbox.iterdir() if p.is_file() and p.suffix in _REQUEST_FILE_SUFFIXES and not p.name.startswith("."))
    return files


def optout_fingerprint(rules: Path | None = OPTOUT_RULES, dropbox: Path | None = None) -> str:
    """A hash of every request file's name and bytes: part of the code_version of the stages that
    apply the requests, so editing the list marks exactly those stale."""
    digest = hashlib.sha256()
    for path in request_files(rules, optout_dropbox() if dropbox is None else dropbox):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _strings(value, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RuleFileError(f"{where}: '{key}' must be a string or a list of non-empty strings, got {value!r}")
    return tuple(v.strip() for v in value)


def _parse_request(entry, where: str, source: Path) -> OptOutRequest:
    if not isinstance(entry, dict):
        raise RuleFileError(f"{where}: a request must be a mapping, got {entry!r}")
    unknown = set(entry) - _KEYS
    if unknown:
        raise RuleFileError(f"{where}: unknown key(s) {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    for key in ("id", "date", "requester"):
        if key not in entry or entry[key] in (None, ""):
            raise RuleFileError(f"{where}: missing '{key}'")
    date = entry["date"]
    if isinstance(date, (dt.date, dt.datetime)):
        date = date.isoformat()
    request = OptOutRequest(
        id=str(entry["id"]),
        date=str(date),
        requester=str(entry["requester"]),
        source=str(source),
        repositories=_strings(entry.get("repositories"), "repositories", where),
        paths=_strings(entry.get("paths"), "paths", where),
        emails=_strings(entry.get("emails"), "emails", where),
    )
    if request.paths and not request.repositories:
        raise RuleFileError(f"{where}: request {request.id!r} gives 'paths' without 'repositories' (paths are within repositories)")
    if not request.repositories and not request.emails:
        raise RuleFileError(f"{where}: request {request.id!r} names no 'repositories' and no 'emails': it would exclude nothing")
    if any("@" not in email for email in request.emails):
        raise RuleFileError(f"{where}: request {request.id!r}: every entry of 'emails' must be an email address")
    return request


def _parse_file(path: Path) -> list[OptOutRequest]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else parse_yaml(text)
    except OSError as err:
        raise RuleFileError(f"{path}: cannot read opt-out requests: {err}") from err
    except (ValueError, yaml.YAMLError) as err:
        raise RuleFileError(f"{path}: invalid {path.suffix.lstrip('.').upper()}: {err}") from err
    if data is None:
        return []
    if isinstance(data, dict) and "requests" in data:
        entries = data["requests"] or []
        if not isinstance(entries, list):
            raise RuleFileError(f"{path}: 'requests' must be a list")
        return [_parse_request(e, f"{path}: requests[{i}]", path) for i, e in enumerate(entries)]
    if isinstance(data, dict):  # one request per dropped file
        return [_parse_request(data, str(path), path)]
    if isinstance(data, list):
        return [_parse_request(e, f"{path}: [{i}]", path) for i, e in enumerate(data)]
    raise RuleFileError(f"{path}: expected a request, a list of requests or 'requests: [...]', got {type(data).__name__}")
