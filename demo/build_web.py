"""The demo web crawl: real HTML from Debian documentation packages, written as real WARC files.

One synthetic host per package (`<package>.example`, the package's folders as URL paths); code-heavy
and non-code packages, so the labels are known: a page is code-related when its package is. Each WARC
file is gzip per record, WARC/1.1, with a warcinfo record and, per page, request + response + metadata
records; some responses are sent with `Content-Encoding: gzip`, some chunked, and a few are 404s or
stylesheets and images (non-HTML). The packages are installed with apt-get when missing (run as root,
like `make test` installs chromium).

    python -m demo.build_web --landing $CODELAKE_HOME/landing/web
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEMO_WEB_DUMP = "demo-web-2024-03"
# (package, where its HTML is, code-related?)
PACKAGES = [
    ("python3.11-doc", "/usr/share/doc/python3.11/html", True),
    ("sqlite3-doc", "/usr/share/doc/sqlite3", True),
    ("git-doc", "/usr/share/doc/git-doc", True),
    ("python-pytest-doc", "/usr/share/doc/python-pytest-doc/html", True),
    ("postgresql-doc-15", "/usr/share/doc/postgresql-doc-15/html", True),
    ("gimp-help-en", "/usr/share/gimp/2.0/help/en", False),
    ("harden-doc", "/usr/share/doc/harden-doc/html", False),
    ("debian-history", "/usr/share/doc/debian-history/docs", False),
    ("debian-faq", "/usr/share/doc/debian/FAQ", False),
]
# Pages per package: a real crawl is mostly not code, so the non-code hosts get more pages.
PAGES_PER_PACKAGE = {True: 150, False: 450}
START = datetime(2024, 3, 1, tzinfo=timezone.utc)
_TYPES = {".css": "text/css", ".png": "image/png", ".js": "application/javascript", ".svg": "image/svg+xml"}


def host_of(package: str) -> str:
    return f"{package.replace('.', '-')}.example"  # one label: the host is its own registered domain


def labels() -> dict[str, bool]:
    """Registered domain -> code-related, for the demo's precision and recall."""
    return {host_of(p): code for p, _, code in PACKAGES}


def install_missing() -> None:
    missing = [p for p, root, _ in PACKAGES if not Path(root).is_dir()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"demo web crawl: packages {missing} are not installed and apt-get is not available as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


def _sample(files: list[Path], n: int) -> list[Path]:
    if len(files) <= n:
        return files
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


def _chunked(data: bytes, size: int = 4096) -> bytes:
    return b"".join(b"%x\r\n" % len(data[i:i + size]) + data[i:i + size] + b"\r\n" for i in range(0, len(data), size)) + b"0\r\n\r\n"


def _write_package(writer: WARCWriter, package: str, root: Path, code: bool, when: datetime) -> int:
    host = host_of(package)
    pages = _sample(sorted(p for p in root.rglob("*.html") if p.is_file() and not p.is_symlink()), PAGES_PER_PACKAGE[code])
    assets = sorted(p for p in root.rglob("*") if p.suffix in _TYPES and p.is_file() and not p.is_symlink())[:3]
    records = 0
    for i, path in enumerate(pages + assets):
        url = f"https://{host}/{path.relative_to(root).as_posix()}"
        body = path.read_bytes()
        headers = [("Content-Type", _TYPES.get(path.suffix, "text/html"))]
        if i % 5 == 1:
            body = gzip.compress(body, compresslevel=5)
            headers.append(("Content-Encoding", "gzip"))
        elif i % 7 == 2:
            body = _chunked(body)
            headers.append(("Transfer-Encoding", "chunked"))
        records += _exchange(writer, url, "200 OK", headers, body, when + timedelta(seconds=i))
    missing = f"https://{host}/no-such-page.html"
    records += _exchange(writer, missing, "404 Not Found", [("Content-Type", "text/html")], b"<html><body>Not Found</body></html>", when)
    return records


def _exchange(writer: WARCWriter, url: str, status: str, headers: list, body: bytes, when: datetime) -> int:
    date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    request = StatusAndHeaders(f"GET /{url.split('/', 3)[3]} HTTP/1.1", [("Host", url.split("/")[2]), ("User-Agent", "codelake-demo")], is_http_request=True)
    writer.write_record(writer.create_warc_record(url, "request", http_headers=request, warc_headers_dict={"WARC-Date": date}))
    length = [] if ("Transfer-Encoding", "chunked") in headers else [("Content-Length", str(len(body)))]
    http = StatusAndHeaders(status, headers + length, protocol="HTTP/1.1")
    # Common Crawl names each payload's media type; readers filter on it (datatrove's WarcReader sniffs with
    # libmagic without it, which calls XHTML pages text/xml and skips them)
    identified = {"WARC-Identified-Payload-Type": dict(headers)["Content-Type"].split(";")[0]}
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                  warc_headers_dict={"WARC-Date": date, **identified}))
    writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 42\r\n"),
                                                  warc_content_type="application/warc-fields", warc_headers_dict={"WARC-Date": date}))
    return 3


def build_demo_web(landing: Path, install: bool = True) -> Path:
    """Write the demo web dump (a folder of .warc.gz files, `_SUCCESS` last) into `landing`; returns its path.
    Written under a dotted name and renamed into place, so the sensor never sees half of it."""
    if install:
        install_missing()
    landing.mkdir(parents=True, exist_ok=True)
    final = landing / DEMO_WEB_DUMP
    if (final / "_SUCCESS").is_file():
        return final
    work = landing / f".{DEMO_WEB_DUMP}.part"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for n, (package, root, code) in enumerate(PACKAGES):
        with open(work / f"{package}.warc.gz", "wb") as f:
            writer = WARCWriter(f, gzip=True, warc_version="1.1")
            writer.write_record(writer.create_warcinfo_record(f"{package}.warc.gz", {"software": "codelake demo.build_web", "isPartOf": DEMO_WEB_DUMP}))
            _write_package(writer, package, Path(root), code, START + timedelta(hours=n))
    (work / "_SUCCESS").write_bytes(b"")
    shutil.rmtree(final, ignore_errors=True)
    work.rename(final)
    return final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install missing packages")
    args = parser.parse_args()
    print(build_demo_web(args.landing, install=not args.no_install))


if __name__ == "__main__":
    main()


def run_web_demo(console, instance, resources: dict, run_config: dict) -> bool:
    """`make demo`'s web step: build the crawl, let web_dump_sensor register it, materialize the web
    assets, and print each recall round's precision and recall against the packages' labels."""
    from dagster import build_sensor_context, materialize

    from assets.web import WEB_ASSETS, web_pages
    from codelake.lake.sql import connect
    from sensors.web_dumps import web_dump_sensor

    landing = Path(resources["landing_zone"].web_path)
    build_demo_web(landing)
    result = web_dump_sensor(build_sensor_context(instance=instance, resources=resources))
    for request in getattr(result, "dynamic_partitions_requests", None) or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    if DEMO_WEB_DUMP not in instance.get_dynamic_partitions("web_dumps"):
        console.print(f"[red]web dump {DEMO_WEB_DUMP} is not registered[/red]")
        return False
    outcome = materialize([web_pages], partition_key=DEMO_WEB_DUMP, instance=instance, resources=resources, run_config=run_config)
    if not outcome.success:
        return False
    console.print(f"web_pages[{DEMO_WEB_DUMP}] materialized")
    for stage in WEB_ASSETS[1:]:
        outcome = materialize(WEB_ASSETS, selection=[stage], instance=instance, resources=resources, run_config=run_config)
        if not outcome.success:
            console.print(f"[red]{stage.key.to_user_string()} failed[/red]")
            return False
        console.print(f"{stage.key.to_user_string()} materialized")
    truth = labels()
    con = connect(resources["lake"].lake())
    try:
        rows = con.execute("SELECT domain, recalled FROM code_web_recall").fetchall()
    finally:
        con.close()
    code_pages = sum(1 for domain, _ in rows if truth.get(domain))
    for r in range(len(rows[0][1]) if rows else 0):
        hits = [truth.get(domain, False) for domain, recalled in rows if recalled[r]]
        precision = sum(hits) / len(hits) if hits else 0.0
        console.print(f"recall round {r + 1}: {len(hits)} pages recalled, precision {precision:.3f}, recall {sum(hits) / max(code_pages, 1):.3f} "
                      f"(labels: the {sum(truth.values())} code packages' {code_pages} pages are code)")
    return True
