"""Build demo crawl dumps from source trees that already exist on this machine.

Usage::

    python -m demo.build_dumps --landing DIR [--scale N]

Writes two crawl dumps into the landing zone DIR:

* ``demo-2024-01/``        a directory dump (``_SUCCESS`` written last);
* ``demo-2024-02.tar.gz``  an archive dump (written to a hidden temporary name in
  the same directory, then ``os.replace``-d into place).

Each repository folder holds a ``.codelake.json`` manifest and the repository's
files.  Repository metadata the source trees lack (stars, last commit time) is
DEMO METADATA derived deterministically from the repository name (see
``demo_stars`` / ``demo_last_commit`` and demo/README.md).

The output is deterministic on a given machine: every listing is sorted, file
selection never looks at mtimes, tar members get fixed owners, modes and mtimes,
and the gzip header carries no file name and mtime 0, so two builds give
byte-identical dumps.  Only the standard library is used.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

DUMP_DIR_NAME = "demo-2024-01"
DUMP_ARCHIVE_NAME = "demo-2024-02"
MANIFEST_NAME = ".codelake.json"
SUCCESS_NAME = "_SUCCESS"

PYENV_ROOT = Path("/root/.pyenv/versions")
USR_INCLUDE = Path("/usr/include")
USR_SHARE_DOC = Path("/usr/share/doc")
SCRIPT_DIRS = (Path("/usr/bin"), Path("/usr/sbin"))
RUSTUP_TOOLCHAINS = Path("/root/.rustup/toolchains")
PYENV_CHECKOUT = Path("/root/.pyenv")
NODE_MODULES = Path("/usr/lib/node_modules")
ISO_CODES_JSON = Path("/usr/share/iso-codes/json")
GCLOUD_SCHEMAS = Path("/usr/lib/google-cloud-sdk/lib/googlecloudsdk/schemas")

EPOCH = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
COMMIT_WINDOW_S = 4 * 365 * 86400
MAX_STARS = 5000

BIG_FILE = 8 * 1024 * 1024  # the pipeline must see a few files above this size
POOL_FILE_CAP = 4 * 1024 * 1024  # per-file cap for the extra repositories of scale > 1
SMALL_DOC_KB = 256  # /usr/share/doc packages up to this size are in the scale=1 set

# Licenses: a small, documented table per source; None (JSON null) when unknown.
LICENSE_CPYTHON = "PSF-2.0"
LICENSE_RUST = "MIT OR Apache-2.0"
LICENSE_PYENV = "MIT"
LICENSE_NPM = "Artistic-2.0"
LICENSE_COREPACK = "MIT"
LICENSE_GCLOUD = "Apache-2.0"
PYPI_LICENSES = {
    "_pytest": "MIT",
    "_yaml": "MIT",
    "anyio": "MIT",
    "attr": "MIT",
    "attrs": "MIT",
    "certifi": "MPL-2.0",
    "click": "BSD-3-Clause",
    "dateutil": "Apache-2.0 OR BSD-3-Clause",
    "h11": "MIT",
    "idna": "BSD-3-Clause",
    "iniconfig": "MIT",
    "jinja2": "BSD-3-Clause",
    "markdown_it": "MIT",
    "markupsafe": "BSD-3-Clause",
    "mdurl": "MIT",
    "numpy": "BSD-3-Clause",
    "packaging": "Apache-2.0 OR BSD-2-Clause",
    "pip": "MIT",
    "pkg_resources": "MIT",
    "platformdirs": "MIT",
    "pluggy": "MIT",
    "pydantic": "MIT",
    "pygments": "BSD-2-Clause",
    "pytest": "MIT",
    "pytz": "MIT",
    "requests": "Apache-2.0",
    "rich": "MIT",
    "setuptools": "MIT",
    "six": "MIT",
    "sniffio": "MIT OR Apache-2.0",
    "tomli": "MIT",
    "tomlkit": "MIT",
    "typing_extensions": "PSF-2.0",
    "urllib3": "MIT",
    "yaml": "MIT",
}

# scale=1 selection of site-packages packages.  Both dumps hold the first group
# (exact duplicates across dumps; near duplicates of pip/_vendor/* in dump 1).
PYPI_SHARED = ("certifi", "idna", "packaging", "requests", "urllib3")
PYPI_DUMP1 = PYPI_SHARED + (
    "_yaml", "click", "jinja2", "markupsafe", "pip", "pkg_resources", "platformdirs",
    "pygments", "rich", "setuptools", "six", "tomli", "typing_extensions", "yaml",
)
PYPI_DUMP2 = PYPI_SHARED + (
    "_pytest", "anyio", "attr", "attrs", "dateutil", "h11", "iniconfig", "markdown_it",
    "mdurl", "pluggy", "pytest", "sniffio", "tomlkit",
)
INCLUDE_DUMP1 = ("linux", "openssl", "python3.11", "X11")
INCLUDE_DUMP2 = ("GL", "libxml2", "tcl8.6", "x86_64-linux-gnu")
DOCS_LARGE_DUMP1 = ("git", "python3.11")
DOCS_LARGE_DUMP2 = ("valgrind", "libxslt1-dev")

_NAME_RE = re.compile(r"[^A-Za-z0-9._-]")


# --------------------------------------------------------------------------- metadata


def _name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def demo_stars(name: str) -> int:
    """DEMO METADATA: stars = int(sha256(name)[:8], 16) % 5000."""
    return int(_name_hash(name)[:8], 16) % MAX_STARS


def demo_last_commit(name: str) -> str:
    """DEMO METADATA: 2020-01-01T00:00:00Z + (int(sha256(name)[8:16], 16) % 4 years) seconds."""
    seconds = int(_name_hash(name)[8:16], 16) % COMMIT_WINDOW_S
    return (EPOCH + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _commit_epoch(last_commit: str) -> int:
    when = _dt.datetime.strptime(last_commit, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    return int(when.timestamp())


def repo_dir_name(name: str) -> str:
    return name.replace("/", "__")


def _safe(part: str) -> str:
    return _NAME_RE.sub("_", part.replace("+", "p"))


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class FileEntry:
    rel: str  # path inside the repository, '/'-separated
    src: str  # absolute source path
    size: int
    executable: bool


@dataclass
class RepoPlan:
    name: str
    source: str
    license: str | None
    files: list[FileEntry]
    fork_of: str | None = None  # mirrors/forks get fewer stars than the original
    manifest: dict = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(f.size for f in self.files)


KeepDir = Callable[[tuple[str, ...]], bool]
KeepFile = Callable[[tuple[str, ...], str, int], bool]


def _valid_name(part: str) -> bool:
    if not part or part in (".", ".."):
        return False
    try:
        part.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes (surrogate escapes)
        return False
    return all(ch.isprintable() for ch in part)


def _file_entry(path: str, rel: str, keep_parts: tuple[str, ...], keep_file: KeepFile | None,
                max_size: int | None) -> FileEntry | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):  # symlinks, devices, fifos, sockets
        return None
    if max_size is not None and st.st_size > max_size:
        return None
    if not os.access(path, os.R_OK):
        return None
    if keep_file is not None and not keep_file(keep_parts, path, st.st_size):
        return None
    return FileEntry(rel, path, st.st_size, bool(st.st_mode & 0o111))


def walk_files(root: Path | str, dest: str = "", *, keep_dir: KeepDir | None = None,
               keep_file: KeepFile | None = None, max_size: int | None = None) -> list[FileEntry]:
    """All regular files under root (a file or a directory), sorted, symlinks not followed.

    keep_dir/keep_file get the path parts relative to root.  dest prefixes the paths.
    """
    root = str(root)
    prefix = dest.strip("/")
    out: list[FileEntry] = []
    try:
        st = os.lstat(root)
    except OSError:
        return out
    if stat.S_ISREG(st.st_mode):
        name = os.path.basename(root)
        rel = f"{prefix}/{name}" if prefix else name
        entry = _file_entry(root, rel, (name,), keep_file, max_size)
        return [entry] if entry else []
    if not stat.S_ISDIR(st.st_mode):
        return out
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        dir_parts = () if rel_dir == "." else tuple(rel_dir.split(os.sep))
        kept = []
        for d in sorted(dirnames):
            if not _valid_name(d):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                continue
            if keep_dir is not None and not keep_dir(dir_parts + (d,)):
                continue
            kept.append(d)
        dirnames[:] = kept
        for fname in sorted(filenames):
            if not _valid_name(fname):
                continue
            parts = dir_parts + (fname,)
            rel = "/".join(((prefix,) if prefix else ()) + parts)
            entry = _file_entry(os.path.join(dirpath, fname), rel, parts, keep_file, max_size)
            if entry is not None:
                out.append(entry)
    out.sort(key=lambda e: e.rel)
    return out


def _finish(files: list[FileEntry]) -> list[FileEntry]:
    """Sort, drop duplicate paths and anything colliding with the manifest."""
    seen: dict[str, FileEntry] = {}
    for f in files:
        if f.rel == MANIFEST_NAME or f.rel in seen:
            continue
        seen[f.rel] = f
    return [seen[k] for k in sorted(seen)]


# --- sources ------------------------------------------------------------------------


def _version_key(path: str) -> tuple[int, ...]:
    m = re.search(r"python(\d+)\.(\d+)", path)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def pyenv_stdlibs() -> list[tuple[str, Path]]:
    """[(\"3.12\", /root/.pyenv/versions/3.12.1/lib/python3.12), ...] sorted by version."""
    found: dict[str, Path] = {}
    for lib in sorted(glob.glob(str(PYENV_ROOT / "*" / "lib" / "python3.*")), key=lambda p: (_version_key(p), p)):
        p = Path(lib)
        if p.is_symlink() or not p.is_dir() or not (p / "os.py").is_file():
            continue
        ver = "%d.%d" % _version_key(lib)
        found.setdefault(ver, p)  # first (sorted) install of each minor version
    return sorted(found.items(), key=lambda kv: tuple(int(x) for x in kv[0].split(".")))


def _stdlib_keep_dir(parts: tuple[str, ...]) -> bool:
    top = parts[0]
    if len(parts) == 1 and top in ("site-packages", "tests"):
        return False
    if top == "test" and len(parts) >= 2 and parts[1] != "test_tomllib":
        return False  # the test suite is in the scale > 1 pool; keep only tomllib's TOML data
    if parts[-1] == "__pycache__":
        # a few .pyc binaries are welcome: keep only the json package's bytecode
        return parts == ("json", "__pycache__")
    return True


def _stdlib_keep_file(parts: tuple[str, ...], path: str, size: int) -> bool:
    if parts[0] == "test" and len(parts) == 2:
        return False
    if parts[0] == "lib-dynload":
        return size <= 256 * 1024  # a few .so binaries, not the big ones
    if parts[0].startswith("config-"):
        return size <= 1024 * 1024  # Makefile, Setup*, config.c, python.o; not libpython*.a
    return True


def stdlib_repo(name: str, lib: Path, fork_of: str | None = None) -> RepoPlan:
    files = walk_files(lib, keep_dir=_stdlib_keep_dir, keep_file=_stdlib_keep_file)
    return RepoPlan(name, f"demo:{lib}", LICENSE_CPYTHON, _finish(files), fork_of=fork_of)


def stdlib_tests_repo(ver: str, lib: Path) -> RepoPlan | None:
    test_dir = lib / "test"
    if not test_dir.is_dir() or test_dir.is_symlink():
        return None
    files = walk_files(test_dir, "Lib/test", keep_dir=lambda p: p[-1] != "__pycache__",
                       max_size=POOL_FILE_CAP)
    return RepoPlan(f"python/cpython-{ver}-tests", f"demo:{test_dir}", LICENSE_CPYTHON, _finish(files))


def site_packages_dirs() -> list[Path]:
    out = []
    for sp in sorted(glob.glob(os.path.join(sys.prefix, "lib", "python3.*", "site-packages"))):
        p = Path(sp)
        if p.is_dir() and not p.is_symlink():
            out.append(p)
    return out


def site_packages_packages(sp: Path) -> dict[str, Path]:
    """Top-level importable packages (directories with .py files) and single-file modules."""
    pkgs: dict[str, Path] = {}
    try:
        names = sorted(os.listdir(sp))
    except OSError:
        return pkgs
    for entry in names:
        path = sp / entry
        if path.is_symlink() or entry.startswith((".", "__")) or not _valid_name(entry):
            continue
        if path.is_dir():
            if entry.endswith((".dist-info", ".egg-info", ".libs", ".data")) or "-" in entry:
                continue
            if (path / "__init__.py").is_file() or any(n.endswith((".py", ".pyi")) for n in sorted(os.listdir(path))):
                pkgs.setdefault(entry, path)
        elif entry.endswith(".py") and path.is_file():
            pkgs.setdefault(entry[:-3], path)
    return pkgs


def pypi_repo(pkg: str, path: Path, max_size: int | None = None) -> RepoPlan:
    files = walk_files(path, path.name if path.is_dir() else "",
                       keep_dir=lambda p: p[-1] != "__pycache__", max_size=max_size)
    return RepoPlan(f"pypi/{_safe(pkg)}", f"demo:{path}", PYPI_LICENSES.get(pkg), _finish(files))


def include_entries() -> tuple[list[Path], dict[str, Path]]:
    """(top-level header files, {subdir name: path}) of /usr/include."""
    files: list[Path] = []
    dirs: dict[str, Path] = {}
    if not USR_INCLUDE.is_dir():
        return files, dirs
    for entry in sorted(os.listdir(USR_INCLUDE)):
        p = USR_INCLUDE / entry
        if p.is_symlink() or not _valid_name(entry):
            continue
        if p.is_dir():
            dirs[entry] = p
        elif p.is_file():
            files.append(p)
    return files, dirs


def include_root_repo(files: list[Path]) -> RepoPlan | None:
    entries: list[FileEntry] = []
    for f in files:
        entries.extend(walk_files(f))
    if not entries:
        return None
    return RepoPlan("debian/include-root", f"demo:{USR_INCLUDE}", None, _finish(entries))


def include_repo(sub: str, path: Path, max_size: int | None = None) -> RepoPlan:
    return RepoPlan(f"debian/include-{_safe(sub)}", f"demo:{path}", None,
                    _finish(walk_files(path, sub, max_size=max_size)))


def _is_text_script(parts: tuple[str, ...], path: str, size: int) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return head.startswith(b"#!") and b"\x00" not in head


def scripts_repo(directory: Path) -> RepoPlan | None:
    if not directory.is_dir() or directory.is_symlink():
        return None
    files = walk_files(directory, "bin", keep_dir=lambda p: False, keep_file=_is_text_script,
                       max_size=1024 * 1024)
    if not files:
        return None
    return RepoPlan(f"debian/{directory.name}-scripts", f"demo:{directory}", None, _finish(files))


def doc_packages() -> dict[str, Path]:
    out: dict[str, Path] = {}
    if not USR_SHARE_DOC.is_dir():
        return out
    for entry in sorted(os.listdir(USR_SHARE_DOC)):
        p = USR_SHARE_DOC / entry
        if p.is_dir() and not p.is_symlink() and _valid_name(entry):
            out[entry] = p
    return out


def doc_repo(pkg: str, path: Path, max_size: int | None = None) -> RepoPlan:
    return RepoPlan(f"debian/doc-{_safe(pkg)}", f"demo:{path}", None,
                    _finish(walk_files(path, max_size=max_size)))


def rust_doc_roots() -> list[tuple[str, Path]]:
    """[(channel, .../share/doc/rust), ...] for the rustup toolchains present, sorted."""
    out = []
    for d in sorted(glob.glob(str(RUSTUP_TOOLCHAINS / "*" / "share" / "doc" / "rust"))):
        p = Path(d)
        if p.is_dir() and not p.is_symlink():
            channel = p.parents[2].name.split("-")[0]
            out.append((_safe(channel), p))
    out.sort(key=lambda cp: (cp[0] != "stable", cp[0], str(cp[1])))  # stable first
    return out


def rust_docs_repo(channel: str, root: Path) -> RepoPlan:
    """Top-level docs (COPYRIGHT.html > 8 MB), html/*.{html,md,...}, proc_macro sources, and
    the rendered sources of any file > 8 MB under html/src (e.g. neon generated.rs.html)."""
    files: list[FileEntry] = []
    for entry in sorted(os.listdir(root)):
        p = root / entry
        if entry == "html":
            continue
        files.extend(walk_files(p, "" if p.is_file() else entry))
    html = root / "html"
    files.extend(walk_files(html, "html", keep_dir=lambda p: False))  # html/ top-level files only
    files.extend(walk_files(html / "src" / "proc_macro", "html/src/proc_macro"))
    src = html / "src"
    if src.is_dir():
        files.extend(walk_files(src, "html/src", keep_file=lambda parts, path, size: size > BIG_FILE))
    return RepoPlan(f"rust-lang/rust-docs-{channel}", f"demo:{root}", LICENSE_RUST, _finish(files))


def rust_subtree_repo(channel: str, root: Path, sub: str) -> RepoPlan:
    path = root / "html" / sub
    return RepoPlan(f"rust-lang/{_safe(sub.replace('/', '-'))}-{channel}", f"demo:{path}", LICENSE_RUST,
                    _finish(walk_files(path, f"html/{sub}", max_size=POOL_FILE_CAP)))


def tree_repo(name: str, path: Path, license: str | None, dest: str = "",
              skip_top: tuple[str, ...] = (), max_size: int | None = None) -> RepoPlan | None:
    """A whole source tree (symlinks not followed) as one repository."""
    if not path.is_dir() or path.is_symlink():
        return None

    def keep_dir(parts: tuple[str, ...]) -> bool:
        return not (len(parts) == 1 and parts[0] in skip_top) and parts[-1] not in (".git", "__pycache__")

    return RepoPlan(name, f"demo:{path}", license,
                    _finish(walk_files(path, dest, keep_dir=keep_dir, max_size=max_size)))


def find_big_file_repo(exclude: set[str]) -> RepoPlan | None:
    """Fallback when no source tree yields a file > 8 MB: one real big file from site-packages
    or the pyenv installs (no synthesized content)."""
    candidates: list[tuple[str, str]] = []
    roots = [str(p) for p in site_packages_dirs()] + sorted(glob.glob(str(PYENV_ROOT / "*" / "lib")))
    for root in roots:
        for e in walk_files(root, max_size=64 * 1024 * 1024,
                            keep_file=lambda parts, path, size: size > BIG_FILE):
            if e.src not in exclude:
                candidates.append((e.src, e.rel))
        if candidates:
            break
    if not candidates:
        return None
    src, _ = sorted(candidates)[0]
    files = walk_files(src, "blobs")
    return RepoPlan("demo/big-binaries", f"demo:{src}", None, _finish(files))


# --- the plan -----------------------------------------------------------------------


def plan_dumps(scale: int = 1) -> tuple[list[RepoPlan], list[RepoPlan]]:
    """The repositories of dump 1 (directory) and dump 2 (archive)."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    d1: list[RepoPlan] = []
    d2: list[RepoPlan] = []

    def add(target: list[RepoPlan], repo: RepoPlan | None) -> None:
        if repo is not None and repo.files:
            target.append(repo)

    # CPython standard libraries: dump 1 = 3.11 + 3.12, dump 2 = a mirror of 3.12 + 3.13
    # (the three newest versions present).
    stdlibs = pyenv_stdlibs()
    newest = stdlibs[-3:]
    used_versions: set[str] = set()
    if len(newest) >= 3:
        (va, la), (vb, lb), (vc, lc) = newest
        add(d1, stdlib_repo(f"python/cpython-{va}", la))
        add(d1, stdlib_repo(f"python/cpython-{vb}", lb))
        add(d2, stdlib_repo(f"mirror/cpython-{vb}", lb, fork_of=f"python/cpython-{vb}"))
        add(d2, stdlib_repo(f"python/cpython-{vc}", lc))
    elif len(newest) == 2:
        (va, la), (vb, lb) = newest
        add(d1, stdlib_repo(f"python/cpython-{va}", la))
        add(d2, stdlib_repo(f"mirror/cpython-{va}", la, fork_of=f"python/cpython-{va}"))
        add(d2, stdlib_repo(f"python/cpython-{vb}", lb))
    elif len(newest) == 1:
        (va, la), = newest
        add(d1, stdlib_repo(f"python/cpython-{va}", la))
        add(d2, stdlib_repo(f"mirror/cpython-{va}", la, fork_of=f"python/cpython-{va}"))
    used_versions.update(v for v, _ in newest)
    # CPython's installed C headers: near duplicates of /usr/include/python3.X.
    for ver, lib in newest[:1]:
        inc = lib.parent.parent / "include" / f"python{ver}"
        if inc.is_dir() and not inc.is_symlink():
            add(d2, RepoPlan(f"python/cpython-{ver}-include", f"demo:{inc}", LICENSE_CPYTHON,
                             _finish(walk_files(inc, "Include"))))

    # site-packages of the current interpreter (sys.prefix): one repository per package.
    pkgs: dict[str, Path] = {}
    for sp in site_packages_dirs():
        for k, v in site_packages_packages(sp).items():
            pkgs.setdefault(k, v)
    for pkg in sorted(PYPI_DUMP1):
        if pkg in pkgs:
            add(d1, pypi_repo(pkg, pkgs[pkg]))
    for pkg in sorted(PYPI_DUMP2):
        if pkg in pkgs:
            add(d2, pypi_repo(pkg, pkgs[pkg]))

    # /usr/include
    inc_files, inc_dirs = include_entries()
    add(d1, include_root_repo(inc_files))
    for sub in INCLUDE_DUMP1:
        if sub in inc_dirs:
            add(d1, include_repo(sub, inc_dirs[sub]))
    for sub in INCLUDE_DUMP2:
        if sub in inc_dirs:
            add(d2, include_repo(sub, inc_dirs[sub]))

    # pyenv's own checkout (shell, Makefile, YAML, Markdown), npm (JavaScript, JSON, Markdown,
    # vendored node_modules), corepack, ISO codes (JSON), gcloud schemas (YAML).
    add(d1, tree_repo("pyenv/pyenv", PYENV_CHECKOUT, LICENSE_PYENV,
                      skip_top=("versions", "shims", "cache", "sources", ".git"), max_size=4 * 1024 * 1024))
    add(d1, tree_repo("nodejs/corepack", NODE_MODULES / "corepack", LICENSE_COREPACK))
    add(d2, tree_repo("npm/cli", NODE_MODULES / "npm", LICENSE_NPM))
    add(d2, tree_repo("debian/iso-codes-json", ISO_CODES_JSON, None, dest="data/json"))
    add(d2, tree_repo("google/cloud-sdk-schemas", GCLOUD_SCHEMAS, LICENSE_GCLOUD, dest="lib/googlecloudsdk/schemas"))

    # shell (and other #!) scripts
    add(d1, scripts_repo(SCRIPT_DIRS[0]))
    add(d2, scripts_repo(SCRIPT_DIRS[1]))

    # /usr/share/doc: the small packages alternate between the dumps, plus a few larger ones.
    docs = doc_packages()
    small = [p for p in docs if _du(docs[p]) <= SMALL_DOC_KB * 1024]
    for i, pkg in enumerate(small):
        add(d1 if i % 2 == 0 else d2, doc_repo(pkg, docs[pkg]))
    for pkg in DOCS_LARGE_DUMP1:
        if pkg in docs and pkg not in small:
            add(d1, doc_repo(pkg, docs[pkg]))
    for pkg in DOCS_LARGE_DUMP2:
        if pkg in docs and pkg not in small:
            add(d2, doc_repo(pkg, docs[pkg]))

    # Rust documentation (HTML, Markdown, a little Rust): stable -> dump 1, nightly -> dump 2.
    rust = rust_doc_roots()
    for i, (channel, root) in enumerate(rust):
        add(d1 if i % 2 == 0 else d2, rust_docs_repo(channel, root))

    # Guarantee a few files > 8 MB from real trees.
    all_files = [f for r in d1 + d2 for f in r.files]
    if not any(f.size > BIG_FILE for f in all_files):
        add(d1, find_big_file_repo(set()))

    if scale > 1:
        base = sum(r.nbytes for r in d1 + d2)
        target = base * scale
        total = base
        taken = {r.name for r in d1 + d2}
        pools = _extra_pools(stdlibs, used_versions, pkgs, inc_dirs, docs, rust)
        i = 0
        while total < target and any(pools):
            for pool in pools:
                if total >= target:
                    break
                while pool:
                    make = pool.pop(0)
                    repo = make()
                    if repo is None or not repo.files or repo.name in taken:
                        continue
                    taken.add(repo.name)
                    (d1 if i % 2 == 0 else d2).append(repo)
                    i += 1
                    total += repo.nbytes
                    break
            pools = [p for p in pools if p]

    for repos in (d1, d2):
        names = [r.name for r in repos]
        if len(set(repo_dir_name(n) for n in names)) != len(names):
            raise RuntimeError("duplicate repository names in a dump")
        repos.sort(key=lambda r: repo_dir_name(r.name))
    _assign_manifests(d1 + d2)
    return d1, d2


def _extra_pools(stdlibs, used_versions, pkgs, inc_dirs, docs, rust) -> list[list[Callable[[], RepoPlan | None]]]:
    """Lazily built extra repositories for scale > 1, one pool per kind of source."""
    py: list[Callable[[], RepoPlan | None]] = []
    for ver, lib in reversed(stdlibs):
        if ver not in used_versions:
            py.append(lambda ver=ver, lib=lib: stdlib_repo(f"python/cpython-{ver}", lib))
    for ver, lib in reversed(stdlibs):
        py.append(lambda ver=ver, lib=lib: stdlib_tests_repo(ver, lib))
    base_pypi = set(PYPI_DUMP1) | set(PYPI_DUMP2)
    pypi = [lambda k=k, v=v: pypi_repo(k, v, POOL_FILE_CAP) for k, v in sorted(pkgs.items()) if k not in base_pypi]
    base_inc = set(INCLUDE_DUMP1) | set(INCLUDE_DUMP2)
    inc = [lambda k=k, v=v: include_repo(k, v, POOL_FILE_CAP) for k, v in sorted(inc_dirs.items()) if k not in base_inc]
    base_docs = set(DOCS_LARGE_DUMP1) | set(DOCS_LARGE_DUMP2)
    doc = [lambda k=k, v=v: doc_repo(k, v, POOL_FILE_CAP) for k, v in sorted(docs.items())
           if k not in base_docs and _du(v) > SMALL_DOC_KB * 1024]
    rs: list[Callable[[], RepoPlan | None]] = []
    for sub in ("book", "reference", "nomicon", "error_codes", "rust-by-example", "src/std", "src/alloc",
                "edition-guide", "cargo", "rustc", "embedded-book", "unstable-book", "std", "alloc", "core"):
        for channel, root in rust:
            if (root / "html" / sub).is_dir():
                rs.append(lambda c=channel, r=root, s=sub: rust_subtree_repo(c, r, s))
    return [p for p in (py, pypi, inc, doc, rs) if p]


def _du(path: Path) -> int:
    return sum(f.size for f in walk_files(path))


def _assign_manifests(repos: list[RepoPlan]) -> None:
    stars = {r.name: demo_stars(r.name) for r in repos}
    for r in repos:
        s = stars[r.name]
        if r.fork_of is not None:
            orig = stars.get(r.fork_of, demo_stars(r.fork_of))
            s = s % orig if orig > 0 else 0  # a mirror always has fewer stars than its original
        r.manifest = {
            "name": r.name,
            "stars": s,
            "last_commit": demo_last_commit(r.name),
            "license": r.license,
            "source": r.source,
        }


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- writing


def _file_mode(f: FileEntry) -> int:
    return 0o755 if f.executable else 0o644


def write_directory_dump(path: Path, repos: list[RepoPlan]) -> None:
    """Write a directory dump; _SUCCESS is written last."""
    if path.exists() or path.is_symlink():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    path.mkdir(parents=True)
    for repo in repos:
        rdir = path / repo_dir_name(repo.name)
        rdir.mkdir()
        t = _commit_epoch(repo.manifest["last_commit"])
        mpath = rdir / MANIFEST_NAME
        mpath.write_bytes(manifest_bytes(repo.manifest))
        os.utime(mpath, (t, t))
        made: set[str] = set()
        for f in repo.files:
            dest = rdir / f.rel
            parent = os.path.dirname(f.rel)
            if parent and parent not in made:
                (rdir / parent).mkdir(parents=True, exist_ok=True)
                made.add(parent)
            shutil.copyfile(f.src, dest)
            os.chmod(dest, _file_mode(f))
            os.utime(dest, (t, t))
    (path / SUCCESS_NAME).write_bytes(b"")


def _tarinfo(name: str, size: int, mode: int, mtime: int, is_dir: bool = False) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size = 0 if is_dir else size
    ti.mode = mode
    ti.mtime = mtime
    ti.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def write_archive_dump(path: Path, repos: list[RepoPlan], top: str) -> None:
    """Write a .tar.gz dump (all under folder `top`) atomically: temp name, then os.replace."""
    tmp = path.parent / f".{path.name}.partial"
    if tmp.exists():
        tmp.unlink()
    try:
        with open(tmp, "wb") as raw:
            # filename='' and mtime=0: no varying bytes in the gzip header
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
                    tar.addfile(_tarinfo(top, 0, 0o755, 0, is_dir=True))
                    for repo in repos:
                        t = _commit_epoch(repo.manifest["last_commit"])
                        rdir = f"{top}/{repo_dir_name(repo.name)}"
                        tar.addfile(_tarinfo(rdir, 0, 0o755, t, is_dir=True))
                        data = manifest_bytes(repo.manifest)
                        tar.addfile(_tarinfo(f"{rdir}/{MANIFEST_NAME}", len(data), 0o644, t), io.BytesIO(data))
                        made: set[str] = set()
                        for f in repo.files:
                            parent = os.path.dirname(f.rel)
                            missing = []
                            while parent and parent not in made:
                                missing.append(parent)
                                made.add(parent)
                                parent = os.path.dirname(parent)
                            for d in reversed(missing):
                                tar.addfile(_tarinfo(f"{rdir}/{d}", 0, 0o755, t, is_dir=True))
                            with open(f.src, "rb") as fh:
                                tar.addfile(_tarinfo(f"{rdir}/{f.rel}", f.size, _file_mode(f), t), fh)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


# --------------------------------------------------------------------------- API / CLI


def _summary(label: str, repos: list[RepoPlan]) -> str:
    nfiles = sum(len(r.files) for r in repos)
    mb = sum(r.nbytes for r in repos) / 1e6
    return f"{label}: {len(repos)} repos, {nfiles} files, {mb:.1f} MB"


def build_demo_dumps(landing: Path, scale: int = 1, verbose: bool = False) -> list[Path]:
    """Build the demo crawl dumps into the landing zone; return [directory dump, archive dump]."""
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    d1, d2 = plan_dumps(scale)
    dir_dump = landing / DUMP_DIR_NAME
    archive = landing / f"{DUMP_ARCHIVE_NAME}.tar.gz"
    write_directory_dump(dir_dump, d1)
    if verbose:
        print(_summary(str(dir_dump), d1), flush=True)
    write_archive_dump(archive, d2, DUMP_ARCHIVE_NAME)
    if verbose:
        print(_summary(str(archive), d2) + f" (archive {archive.stat().st_size / 1e6:.1f} MB)", flush=True)
    return [dir_dump, archive]


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m demo.build_dumps", description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", required=True, type=Path, help="landing zone directory")
    ap.add_argument("--scale", type=int, default=1, help="multiply the amount of source material (>= 1)")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.scale < 1:
        ap.error("--scale must be >= 1")
    t0 = time.perf_counter()
    paths = build_demo_dumps(args.landing, args.scale, verbose=True)
    print(f"built {len(paths)} dumps in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
