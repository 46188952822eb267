"""Loader for rules/languages.yaml and path -> language detection.

Detection runs once per crawled file (millions), so load() builds plain dicts once and detect() does a
handful of dict lookups on the file's base name, never a scan over the table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from codelake.rules import parse_yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "rules" / "languages.yaml"
TYPES = frozenset({"programming", "data", "markup", "prose"})  # linguist's four types
_KEYS = frozenset({"type", "extensions", "filenames"})


@dataclass(frozen=True)
class Language:
    name: str
    type: str  # programming | data | markup | prose


class LanguageTableError(ValueError):
    """The YAML table is malformed; the message names the file, the entry and the problem."""


class LanguageTable:
    def __init__(
        self,
        languages: dict[str, Language],
        extensions: dict[str, Language],
        filenames: dict[str, Language],
        fingerprint: str,
    ) -> None:
        self._languages = languages
        self._ext = extensions
        # Lowercase fallback so README.MD finds .md; entries spelt lowercase in the YAML own their slot,
        # so .C (C++) never shadows .c (C) when the file is written .c.
        self._ext_lower: dict[str, Language] = {}
        for ext, lang in sorted(extensions.items(), key=lambda kv: kv[0] != kv[0].lower()):
            self._ext_lower.setdefault(ext.lower(), lang)
        self._filenames = filenames
        # Longest extension worth trying, in dots (".tfstate.backup" = 2): bounds the work per file.
        self._max_dots = max((e.count(".") for e in extensions), default=1)
        self._fingerprint = fingerprint

    @classmethod
    def load(cls, path: str | Path | None = None) -> LanguageTable:
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise LanguageTableError(f"{path}: cannot read language table: {exc}") from exc
        try:
            doc = parse_yaml(raw)
        except yaml.YAMLError as exc:
            raise LanguageTableError(f"{path}: not valid YAML: {exc}") from exc

        def fail(problem: str) -> LanguageTableError:
            return LanguageTableError(f"{path}: {problem}")

        if not isinstance(doc, dict) or not isinstance(doc.get("languages"), dict) or not doc["languages"]:
            raise fail("expected a top-level non-empty 'languages' mapping")

        languages: dict[str, Language] = {}
        extensions: dict[str, Language] = {}
        filenames: dict[str, Language] = {}
        for name, entry in doc["languages"].items():
            if not isinstance(name, str) or not name.strip():
                raise fail(f"language name {name!r} is not a non-empty string")
            if not isinstance(entry, dict):
                raise fail(f"language {name!r}: entry must be a mapping with 'type'")
            unknown = set(entry) - _KEYS
            if unknown:  # catches typos such as 'extension:' that would silently drop a list
                raise fail(f"language {name!r}: unknown keys {sorted(map(str, unknown))}")
            if entry.get("type") not in TYPES:
                raise fail(f"language {name!r}: type {entry.get('type')!r} is not one of {sorted(TYPES)}")
            lang = Language(name, entry["type"])
            languages[name] = lang
            for ext in _strings(entry, "extensions", name, fail):
                if not ext.startswith(".") or len(ext) < 2 or "/" in ext:
                    raise fail(f"language {name!r}: extension {ext!r} must start with '.'")
                _claim(extensions, ext, lang, "extension", fail)
            for fname in _strings(entry, "filenames", name, fail):
                if "/" in fname:
                    raise fail(f"language {name!r}: filename {fname!r} must be a bare file name")
                _claim(filenames, fname, lang, "filename", fail)
        return cls(languages, extensions, filenames, hashlib.sha256(raw).hexdigest())

    def detect(self, path: str) -> Language | None:
        """Language of a file from its path inside a repository: exact file name first, then the longest
        matching multi-dot extension (`.blade.php` before `.php`), down to the last extension; each
        extension is tried case-sensitively first, then lowercased. None when unknown."""
        name = path[path.rfind("/") + 1 :]
        lang = self._filenames.get(name)
        if lang is not None:
            return lang
        # Candidate suffixes, longest first; a leading dot marks a hidden file, not an extension.
        dots: list[int] = []
        i = len(name)
        while len(dots) < self._max_dots:
            i = name.rfind(".", 1, i)
            if i < 1:
                break
            dots.append(i)
        for i in reversed(dots):
            ext = name[i:]
            lang = self._ext.get(ext) or self._ext_lower.get(ext.lower())
            if lang is not None:
                return lang
        return None

    def get(self, name: str) -> Language | None:
        return self._languages.get(name)

    def __len__(self) -> int:
        return len(self._languages)

    def __contains__(self, name: object) -> bool:
        return name in self._languages

    def names(self) -> list[str]:
        return list(self._languages)

    def fingerprint(self) -> str:
        """sha256 of the YAML file's bytes: changes whenever the table does (part of code_version)."""
        return self._fingerprint


def _strings(entry: dict[str, Any], key: str, name: str, fail: Callable[[str], LanguageTableError]) -> list[str]:
    items = entry.get(key) or []
    if not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
        raise fail(f"language {name!r}: {key} must be a list of non-empty strings")
    return items


def _claim(index: dict[str, Language], key: str, lang: Language, what: str, fail: Callable[[str], LanguageTableError]) -> None:
    # One owner per extension/file name: ambiguity is resolved in the YAML, never by dict order.
    other = index.get(key)
    if other is not None:
        where = f"twice in {lang.name!r}" if other is lang else f"by both {other.name!r} and {lang.name!r}"
        raise fail(f"{what} {key!r} is listed {where}")
    index[key] = lang
