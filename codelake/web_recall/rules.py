"""rules/web_recall/*.yaml as typed objects: round parameters, seed, per-domain URL patterns."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

RECALL_DIR = RULES_DIR / "web_recall"
RECALL_RULES = RECALL_DIR / "recall.yaml"


def url_key(url: str) -> str:
    """What patterns match: lower-case host + path (+ ?query), no scheme, port or fragment."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.lower()
    return (parts.hostname or "").lower() + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class UrlPatterns:
    """Glob (`*`, `?`) or SQL-LIKE (`%`, `_` literal) patterns compiled to one regex."""

    def __init__(self, patterns: list[str], where: str):
        if not all(isinstance(p, str) and p for p in patterns):
            raise RuleFileError(f"{where}: patterns must be non-empty strings, got {patterns!r}")
        self.patterns = list(patterns)
        self._regex = re.compile("|".join(f"(?:{fnmatch.translate(p.lower().replace('%', '*'))})" for p in patterns)) if patterns else None

    def matches(self, url: str) -> bool:
        return self._regex is not None and self._regex.match(url_key(url)) is not None


@dataclass(frozen=True)
class DomainPatterns:
    include: UrlPatterns
    exclude: UrlPatterns


@dataclass(frozen=True)
class Seed:
    domains: frozenset[str]
    urls: UrlPatterns

    def matches(self, url: str, domain: str) -> bool:
        return domain in self.domains or self.urls.matches(url)


@dataclass(frozen=True)
class RecallRules:
    rounds: int
    seed: Seed
    patterns: dict[str, DomainPatterns]
    code_corpus_languages: tuple[str, ...]
    code_corpus_max_docs: int
    negatives_per_positive: float
    held_out_share: float
    recall_threshold: float
    domain_threshold: float
    min_domain_pages: int
    text_chars: int
    tokenizer: dict
    fasttext: dict
    files: tuple[Path, ...]  # every rule file read: hashed into code_version

    def verdict(self, url: str, domain: str) -> str:
        """'exclude', 'include' or '' for a page, by its domain's URL patterns."""
        entry = self.patterns.get(domain)
        if entry is None:
            return ""
        if entry.exclude.matches(url):
            return "exclude"
        return "include" if entry.include.matches(url) else ""

    @classmethod
    def load(cls, path: str | Path = RECALL_RULES) -> "RecallRules":
        path = Path(path)
        data = load_rule_file(path)
        seed_domains: set[str] = set()
        seed_urls: list[str] = []
        files = [path]
        for name in require(data, "seed_files", list, path):
            seed_path = path.parent / name
            seed = load_rule_file(seed_path)
            files.append(seed_path)
            seed_domains |= {d.lower() for d in seed.get("domains") or []}
            seed_urls += list(seed.get("url_patterns") or [])
        pattern_path = path.parent / require(data, "url_pattern_file", str, path)
        files.append(pattern_path)
        patterns = {}
        for domain, entry in (load_rule_file(pattern_path).get("domains") or {}).items():
            where = f"{pattern_path}: domain {domain!r}"
            if not isinstance(entry, dict) or set(entry) - {"include", "exclude"}:
                raise RuleFileError(f"{where}: expected a mapping with 'include' and/or 'exclude' lists")
            patterns[domain.lower()] = DomainPatterns(UrlPatterns(entry.get("include") or [], where), UrlPatterns(entry.get("exclude") or [], where))
        rules = cls(
            rounds=require(data, "rounds", int, path),
            seed=Seed(frozenset(seed_domains), UrlPatterns(seed_urls, str(path))),
            patterns=patterns,
            code_corpus_languages=tuple(require(data, "code_corpus_languages", list, path)),
            code_corpus_max_docs=require(data, "code_corpus_max_docs", int, path),
            negatives_per_positive=float(require(data, "negatives_per_positive", (int, float), path)),
            held_out_share=float(require(data, "held_out_share", (int, float), path)),
            recall_threshold=float(require(data, "recall_threshold", (int, float), path)),
            domain_threshold=float(require(data, "domain_threshold", (int, float), path)),
            min_domain_pages=require(data, "min_domain_pages", int, path),
            text_chars=require(data, "text_chars", int, path),
            tokenizer=require(data, "tokenizer", dict, path),
            fasttext=require(data, "fasttext", dict, path),
            files=tuple(files),
        )
        if not 1 <= rules.rounds <= 10:
            raise RuleFileError(f"{path}: 'rounds' must be between 1 and 10")
        for key in ("held_out_share", "recall_threshold", "domain_threshold"):
            if not 0 <= getattr(rules, key) < 1:
                raise RuleFileError(f"{path}: '{key}' must be in [0, 1)")
        return rules
