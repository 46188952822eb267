"""PII and secret detectors: regexes from rules/transform/pii.yaml plus small validators in code.

`find_spans` runs the detectors in their priority order: a detector is skipped when none of its
precheck strings occurs in the file (a plain `in` test), or when it is limited to other languages; a
match overlapping a span an earlier detector already took is dropped. Only kinds and counts ever leave
this module besides the rewritten text: the matched values are not logged or returned by the engine.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
from bisect import bisect_left
from collections import Counter

from codelake.transformed.rules import Detector, TransformRules

Span = tuple[int, int, str, str]  # start, end, kind, detector name


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _char_classes(value: str) -> int:
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def _secret_ok(value: str, rules: TransformRules) -> bool:
    p = rules.secret
    if len(value) < p.min_length or shannon_entropy(value) < p.min_entropy:
        return False
    if p.require_digit and not any(c.isdigit() for c in value):
        return False
    if _char_classes(value) < p.min_classes:
        return False
    return p.placeholders.fullmatch(value) is None


_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def full_name(m: re.Match, text: str) -> str:
    """The identifier the match's `name` group ends: the group plus the identifier characters
    (letters, digits, _ . -) right before it, e.g. `client_secret` when the group matched `secret`."""
    start = m.start("name")
    i = start
    while i > 0 and i > start - 200 and text[i - 1] in _IDENT_CHARS:
        i -= 1
    return text[i:start] + m.group("name")


def _password_ok(m: re.Match, text: str, rules: TransformRules) -> bool:
    value = m.group("secret")
    name = full_name(m, text).lower() if "name" in m.re.groupindex else ""
    p = rules.password
    if name in p.ignore_names:
        return False
    if value.lower() == name or p.placeholders.fullmatch(value):
        return False
    return True


def _email_ok(value: str, rules: TransformRules) -> bool:
    local, _, domain = value.rpartition("@")
    domain = domain.lower()
    p = rules.email
    if domain.rsplit(".", 1)[-1] in p.reject_tlds:
        return False
    if domain in p.keep_domains or domain.endswith(p.keep_domain_suffixes):
        return False
    return local.lower() not in p.keep_local_parts


def _ip_kept(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, rules: TransformRules) -> bool:
    if str(addr) in rules.ip.keep_addresses:
        return True
    return any(getattr(addr, f"is_{c}", False) for c in rules.ip.keep_classes)


def _ipv4_ok(m: re.Match, text: str, rules: TransformRules) -> bool:
    start = m.start()
    if rules.ip.version_context.search(text, max(0, start - 24), start):
        return False
    return not _ip_kept(ipaddress.IPv4Address(m.group()), rules)


def _ipv6_ok(value: str, rules: TransformRules) -> bool:
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return not _ip_kept(addr, rules)


def _jwt_ok(value: str) -> bool:
    header = value.split(".", 1)[0].rstrip("=")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict)


def _valid(det: Detector, m: re.Match, value: str, text: str, rules: TransformRules) -> bool:
    v = det.validate
    if v is None:
        return True
    if v == "secret_value":
        return _secret_ok(value, rules)
    if v == "password_value":
        return _password_ok(m, text, rules)
    if v == "email":
        return _email_ok(value, rules)
    if v == "ipv4":
        return _ipv4_ok(m, text, rules)
    if v == "ipv6":
        return _ipv6_ok(value, rules)
    if v == "jwt":
        return _jwt_ok(value)
    raise AssertionError(v)


def _applies(det: Detector, text: str, lower: list, language: str) -> bool:
    if det.languages is not None and language not in det.languages:
        return False
    if det.precheck:
        if det.precheck_ignore_case:
            if lower[0] is None:
                lower[0] = text.lower()
            hay = lower[0]
        else:
            hay = text
        if not any(p in hay for p in det.precheck):
            return False
    return det.anchor is None or det.anchor.search(text) is not None


def find_spans(text: str, language: str, rules: TransformRules) -> list[Span]:
    """Non-overlapping spans to replace, sorted by start."""
    starts: list[int] = []
    spans: list[Span] = []
    lower: list = [None]
    for det in rules.detectors:
        if not _applies(det, text, lower, language):
            continue
        for m in det.regex.finditer(text):
            s, e = m.span("secret") if det.has_secret_group else m.span()
            if s == e:
                continue
            if det.name_pattern is not None and not det.name_pattern.fullmatch(full_name(m, text)):
                continue
            if not _valid(det, m, text[s:e], text, rules):
                continue
            i = bisect_left(starts, s)
            if i > 0 and spans[i - 1][1] > s:
                continue
            if i < len(spans) and spans[i][0] < e:
                continue
            starts.insert(i, s)
            spans.insert(i, (s, e, det.kind, det.name))
    return spans


def replace_spans(text: str, spans: list[Span], rules: TransformRules) -> tuple[str, dict[str, int]]:
    if not spans:
        return text, {}
    out = []
    counts: Counter = Counter()
    last = 0
    for s, e, kind, _ in spans:
        out.append(text[last:s])
        out.append(rules.placeholders[kind])
        counts[kind] += 1
        last = e
    out.append(text[last:])
    return "".join(out), dict(counts)
