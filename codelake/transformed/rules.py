"""The `transformed` stage's rules: rules/transform/{comments,copyright,pii}.yaml, loaded and compiled once.

Every problem in a rule file is a `RuleFileError` whose message starts with the file's path and names
the entry (syntax, detector, key) at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR, fingerprint

TRANSFORM_DIR = RULES_DIR / "transform"
RULE_FILE_NAMES = ("comments.yaml", "copyright.yaml", "pii.yaml")
LANGUAGES_FILE = RULES_DIR / "languages.yaml"

VALIDATORS = ("email", "ipv4", "ipv6", "jwt", "secret_value", "password_value")
_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL}


@dataclass(frozen=True)
class CommentSyntax:
    name: str
    line: tuple[str, ...] = ()
    block: tuple[tuple[str, str], ...] = ()  # longest opener first
    docstring: bool = False


@dataclass(frozen=True)
class Detector:
    name: str
    kind: str
    regex: re.Pattern
    precheck: tuple[str, ...] = ()
    precheck_ignore_case: bool = False
    validate: str | None = None
    languages: frozenset[str] | None = None
    has_secret_group: bool = False
    anchor: re.Pattern | None = None
    name_pattern: re.Pattern | None = None


@dataclass(frozen=True)
class EmailParams:
    keep_domains: frozenset[str]
    keep_domain_suffixes: tuple[str, ...]
    keep_local_parts: frozenset[str]
    reject_tlds: frozenset[str]


@dataclass(frozen=True)
class IpParams:
    keep_classes: tuple[str, ...]
    keep_addresses: frozenset[str]
    version_context: re.Pattern


@dataclass(frozen=True)
class SecretParams:
    min_length: int
    min_entropy: float
    min_classes: int
    require_digit: bool
    placeholders: re.Pattern


@dataclass(frozen=True)
class PasswordParams:
    placeholders: re.Pattern
    ignore_names: frozenset[str]


@dataclass(frozen=True)
class TransformRules:
    syntaxes: dict[str, CommentSyntax]  # language name -> its comment syntax
    copyright_keywords: re.Pattern
    preamble: tuple[re.Pattern, ...]
    max_header_lines: int
    placeholders: dict[str, str]
    detectors: tuple[Detector, ...]
    email: EmailParams
    ip: IpParams
    secret: SecretParams
    password: PasswordParams
    paths: tuple[Path, ...] = field(default=())

    @classmethod
    def load(cls, rules_dir: str | Path | None = None, languages_file: str | Path | None = None) -> TransformRules:
        """Load and compile rules/transform/*.yaml (or those in `rules_dir`); language names are checked
        against rules/languages.yaml."""
        folder = Path(rules_dir) if rules_dir is not None else TRANSFORM_DIR
        paths = tuple(folder / name for name in RULE_FILE_NAMES)
        known = _known_languages(Path(languages_file) if languages_file else LANGUAGES_FILE)
        comments, copyright_, pii = (load_rule_file(p) for p in paths)
        syntaxes = _syntaxes(comments, paths[0], known)
        keywords, preamble, max_lines = _copyright(copyright_, paths[1])
        placeholders, detectors, email, ip, secret, password = _pii(pii, paths[2], known)
        return cls(syntaxes, keywords, preamble, max_lines, placeholders, detectors, email, ip, secret, password, paths)

    def fingerprint(self) -> str:
        """Hash of the rule files' bytes: the asset's code_version."""
        return fingerprint(*self.paths)


# ---------------------------------------------------------------------------------------------- helpers


def _known_languages(path: Path) -> frozenset[str]:
    data = load_rule_file(path)
    languages = data.get("languages")
    if not isinstance(languages, dict):
        raise RuleFileError(f"{path}: missing mapping 'languages'")
    return frozenset(languages)


def _str_list(value: Any, where: str, source: Path, allow_empty: bool = True) -> list[str]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleFileError(f"{source}: {where} must be a list of strings, got {value!r}")
    if not allow_empty and not value:
        raise RuleFileError(f"{source}: {where} must not be empty")
    return value


def _compile(pattern: Any, flags: int, where: str, source: Path) -> re.Pattern:
    if not isinstance(pattern, str) or not pattern:
        raise RuleFileError(f"{source}: {where} must be a non-empty regex string, got {pattern!r}")
    try:
        return re.compile(pattern, flags)
    except re.error as err:
        raise RuleFileError(f"{source}: {where}: invalid regex {pattern!r}: {err}") from err


def _languages(value: Any, where: str, source: Path, known: frozenset[str]) -> list[str]:
    names = _str_list(value, where, source)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RuleFileError(f"{source}: {where}: unknown language(s) {unknown} (names must be as in {LANGUAGES_FILE.name})")
    return names


def _syntaxes(data: dict, source: Path, known: frozenset[str]) -> dict[str, CommentSyntax]:
    table = data.get("syntaxes")
    if not isinstance(table, dict) or not table:
        raise RuleFileError(f"{source}: missing mapping 'syntaxes'")
    by_language: dict[str, CommentSyntax] = {}
    owner: dict[str, str] = {}
    for name, spec in table.items():
        where = f"syntaxes.{name}"
        if not isinstance(spec, dict):
            raise RuleFileError(f"{source}: {where} must be a mapping")
        extra = set(spec) - {"line", "block", "docstring", "languages"}
        if extra:
            raise RuleFileError(f"{source}: {where}: unknown key(s) {sorted(extra)}")
        line = tuple(_str_list(spec.get("line"), f"{where}.line", source))
        blocks = spec.get("block") or []
        if not isinstance(blocks, list) or not all(
            isinstance(b, list) and len(b) == 2 and all(isinstance(x, str) and x for x in b) for b in blocks
        ):
            raise RuleFileError(f"{source}: {where}.block must be a list of [open, close] string pairs, got {blocks!r}")
        if any(not m for m in line):
            raise RuleFileError(f"{source}: {where}.line has an empty marker")
        docstring = spec.get("docstring", False)
        if not isinstance(docstring, bool):
            raise RuleFileError(f"{source}: {where}.docstring must be true or false, got {docstring!r}")
        if not line and not blocks and not docstring:
            raise RuleFileError(f"{source}: {where} defines no comment syntax")
        syntax = CommentSyntax(
            name,
            line=tuple(sorted(line, key=len, reverse=True)),
            block=tuple(sorted((tuple(b) for b in blocks), key=lambda b: len(b[0]), reverse=True)),
            docstring=docstring,
        )
        for lang in _languages(spec.get("languages"), f"{where}.languages", source, known):
            if lang in owner:
                raise RuleFileError(f"{source}: {where}.languages: {lang!r} is already in syntaxes.{owner[lang]}")
            owner[lang] = name
            by_language[lang] = syntax
    return by_language


def _copyright(data: dict, source: Path) -> tuple[re.Pattern, tuple[re.Pattern, ...], int]:
    keywords = _str_list(data.get("keywords"), "keywords", source, allow_empty=False)
    for i, kw in enumerate(keywords):
        _compile(kw, re.IGNORECASE | re.MULTILINE, f"keywords[{i}]", source)
    combined = re.compile("|".join(f"(?:{kw})" for kw in keywords), re.IGNORECASE | re.MULTILINE)
    preamble = tuple(
        _compile(p, 0, f"preamble[{i}]", source) for i, p in enumerate(_str_list(data.get("preamble"), "preamble", source))
    )
    max_lines = data.get("max_header_lines", 400)
    if not isinstance(max_lines, int) or isinstance(max_lines, bool) or max_lines < 1:
        raise RuleFileError(f"{source}: max_header_lines must be a positive integer, got {max_lines!r}")
    return combined, preamble, max_lines


def _mapping(data: dict, key: str, source: Path) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RuleFileError(f"{source}: missing mapping '{key}'")
    return value


def _number(section: dict, key: str, where: str, source: Path, kind=(int, float)) -> Any:
    value = section.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
        raise RuleFileError(f"{source}: {where}.{key} must be a non-negative number, got {value!r}")
    return value


def _alternation(patterns: list[str], where: str, source: Path) -> re.Pattern:
    for i, p in enumerate(patterns):
        _compile(p or "(?:)", re.IGNORECASE, f"{where}[{i}]", source)
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.IGNORECASE)


def _pii(data: dict, source: Path, known: frozenset[str]):
    placeholders = _mapping(data, "placeholders", source)
    for kind, text in placeholders.items():
        if not isinstance(text, str) or not text:
            raise RuleFileError(f"{source}: placeholders.{kind} must be a non-empty string")
    raw = data.get("detectors")
    if not isinstance(raw, list) or not raw:
        raise RuleFileError(f"{source}: 'detectors' must be a non-empty list")
    detectors: list[Detector] = []
    names: set[str] = set()
    allowed = {"name", "kind", "pattern", "flags", "precheck", "precheck_ignore_case", "validate", "languages", "anchor", "name_pattern"}
    for i, spec in enumerate(raw):
        if not isinstance(spec, dict):
            raise RuleFileError(f"{source}: detectors[{i}] must be a mapping")
        name = spec.get("name")
        where = f"detectors[{i}] ({name})"
        if not isinstance(name, str) or not name:
            raise RuleFileError(f"{source}: detectors[{i}] needs a 'name'")
        if name in names:
            raise RuleFileError(f"{source}: {where}: duplicate detector name")
        names.add(name)
        extra = set(spec) - allowed
        if extra:
            raise RuleFileError(f"{source}: {where}: unknown key(s) {sorted(extra)}")
        kind = spec.get("kind")
        if kind not in placeholders:
            raise RuleFileError(f"{source}: {where}: kind {kind!r} has no placeholder (known: {sorted(placeholders)})")
        flags = 0
        for flag in _str_list(spec.get("flags"), f"{where}.flags", source):
            if flag not in _FLAGS:
                raise RuleFileError(f"{source}: {where}.flags: unknown flag {flag!r} (known: {sorted(_FLAGS)})")
            flags |= _FLAGS[flag]
        regex = _compile(spec.get("pattern"), flags, f"{where}.pattern", source)
        validate = spec.get("validate")
        if validate is not None and validate not in VALIDATORS:
            raise RuleFileError(f"{source}: {where}.validate: unknown validator {validate!r} (known: {list(VALIDATORS)})")
        if validate == "password_value" and "secret" not in regex.groupindex:
            raise RuleFileError(f"{source}: {where}: validate password_value needs a (?P<secret>...) group")
        ignore_case = spec.get("precheck_ignore_case", False)
        if not isinstance(ignore_case, bool):
            raise RuleFileError(f"{source}: {where}.precheck_ignore_case must be true or false")
        precheck = _str_list(spec.get("precheck"), f"{where}.precheck", source)
        langs = spec.get("languages")
        anchor = _compile(spec["anchor"], 0, f"{where}.anchor", source) if "anchor" in spec else None
        name_pattern = None
        if "name_pattern" in spec:
            if "name" not in regex.groupindex:
                raise RuleFileError(f"{source}: {where}: name_pattern needs a (?P<name>...) group in the pattern")
            name_pattern = _compile(spec["name_pattern"], re.IGNORECASE, f"{where}.name_pattern", source)
        detectors.append(
            Detector(
                name=name,
                kind=kind,
                regex=regex,
                precheck=tuple(p.lower() for p in precheck) if ignore_case else tuple(precheck),
                precheck_ignore_case=ignore_case,
                validate=validate,
                languages=frozenset(_languages(langs, f"{where}.languages", source, known)) if langs is not None else None,
                has_secret_group="secret" in regex.groupindex,
                anchor=anchor,
                name_pattern=name_pattern,
            )
        )

    em = _mapping(data, "email", source)
    email = EmailParams(
        keep_domains=frozenset(d.lower() for d in _str_list(em.get("keep_domains"), "email.keep_domains", source)),
        keep_domain_suffixes=tuple(d.lower() for d in _str_list(em.get("keep_domain_suffixes"), "email.keep_domain_suffixes", source)),
        keep_local_parts=frozenset(d.lower() for d in _str_list(em.get("keep_local_parts"), "email.keep_local_parts", source)),
        reject_tlds=frozenset(d.lower() for d in _str_list(em.get("reject_tlds"), "email.reject_tlds", source)),
    )
    ipd = _mapping(data, "ip", source)
    classes = _str_list(ipd.get("keep_classes"), "ip.keep_classes", source)
    valid_classes = {"loopback", "unspecified", "private", "link_local", "multicast", "reserved", "site_local"}
    bad = [c for c in classes if c not in valid_classes]
    if bad:
        raise RuleFileError(f"{source}: ip.keep_classes: unknown class(es) {bad} (known: {sorted(valid_classes)})")
    import ipaddress

    keep_addresses = []
    for a in _str_list(ipd.get("keep_addresses"), "ip.keep_addresses", source):
        try:
            keep_addresses.append(str(ipaddress.ip_address(a)))
        except ValueError as err:
            raise RuleFileError(f"{source}: ip.keep_addresses: {err}") from err
    ip = IpParams(
        keep_classes=tuple(classes),
        keep_addresses=frozenset(keep_addresses),
        version_context=_compile(ipd.get("version_context", "(?!)"), re.IGNORECASE, "ip.version_context", source),
    )
    sv = _mapping(data, "secret_value", source)
    secret = SecretParams(
        min_length=_number(sv, "min_length", "secret_value", source, int),
        min_entropy=float(_number(sv, "min_entropy", "secret_value", source)),
        min_classes=_number(sv, "min_classes", "secret_value", source, int),
        require_digit=bool(sv.get("require_digit", True)),
        placeholders=_alternation(_str_list(sv.get("placeholders"), "secret_value.placeholders", source), "secret_value.placeholders", source),
    )
    pv = _mapping(data, "password_value", source)
    password = PasswordParams(
        placeholders=_alternation(_str_list(pv.get("placeholders"), "password_value.placeholders", source), "password_value.placeholders", source),
        ignore_names=frozenset(n.lower() for n in _str_list(pv.get("ignore_names"), "password_value.ignore_names", source)),
    )
    return dict(placeholders), tuple(detectors), email, ip, secret, password
