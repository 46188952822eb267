"""Hosts and registered domains from the bundled Public Suffix List (no network)."""

from __future__ import annotations

from codelake.warc.domains import normalized_host, registered_domain


def test_registered_domains_follow_the_public_suffix_list():
    cases = {
        "https://Docs.Python.org:443/3/library/os.html": ("docs.python.org", "python.org"),
        "http://a.b.example.co.uk/": ("a.b.example.co.uk", "example.co.uk"),
        "https://someone.github.io/blog": ("someone.github.io", "someone.github.io"),  # a private suffix
        "http://postgresql-doc.example/x": ("postgresql-doc.example", "postgresql-doc.example"),
        "http://user:pw@127.0.0.1:8080/": ("127.0.0.1", "127.0.0.1"),
        "http://bücher.de/": ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        "http://localhost/": ("localhost", "localhost"),
    }
    for url, (host, domain) in cases.items():
        assert normalized_host(url) == host, url
        assert registered_domain(host) == domain, url


def test_urls_without_a_host_have_no_domain():
    assert normalized_host("not a url") == "" and registered_domain("") == ""
    assert normalized_host("http://[::1") == ""
