"""Normalized host and registered domain of a URL, from the Public Suffix List bundled with the
`publicsuffixlist` package (read offline: no download at run time).

The registered domain is the public suffix plus one label (`docs.python.org` -> `python.org`,
`a.b.co.uk` -> `b.co.uk`; private suffixes count, so `me.github.io` is its own domain). An unknown
top-level label is treated as a suffix (`docs.python.example` -> `python.example`); an IP address or a
single-label host is its own domain.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _suffix_list() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=True)


def normalized_host(url: str) -> str:
    """Lower-case host without port, trailing dot or user info; IDNA (punycode) for non-ASCII names.
    Empty when the URL has no host."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:  # e.g. an invalid IPv6 literal
        return ""
    host = host.rstrip(".").lower()
    if host and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return host


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    if not host:
        return ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _suffix_list().privatesuffix(host) or host
