"""Property test over generated dumps: names with bytes that are not UTF-8, control characters, repeats and
traversal; random nesting; files, folders, links and devices; in zip, tar, tar.gz and folder dumps.

For every generated dump: the run does not raise; every member is a row or a lineage drop; no doc_id
appears twice (rows and drops together); where a path is repeated, the row holds the last copy's text;
everything stored is valid UTF-8 on one line. Seeded, so a failure names a case that can be replayed.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from codelake.dumps.names import printable_name
from codelake.lake import Lake
from codelake.raw_files import run_raw_files
from dumpfactory import MANIFEST, manifest, tar_member, write_raw_zip, write_tar_members

CASES_PER_FORMAT = 50

_PLAIN = ["src", "lib", "a", "b", "util", "pkg", "test", "docs", "café", "日本"]
_ODD = ["caf\udcff", "\udce9t\udce9", "new\nline", "tab\tbed", "bell\x07", "sep\u2028", "x" * 300, ".", "", "..", "back\\slash"]
_FILES = ["main.py", "util.c", "README.md", "index.js", "Makefile", "data.qqqzz", "noext", "x.py", "été.py", "caf\udcff.py",
          "line\n.py", "y" * 260 + ".py"]


@dataclass
class Member:
    name: str  # as stored, surrogates for bytes that are not UTF-8
    kind: str  # file, dir, symlink, hardlink, fifo, chardev
    data: bytes = b""
    manifest: bool = False  # a repository manifest (bookkeeping, not a member of the table)
    utf8_flag: bool = True  # zip: whether the name claims to be UTF-8


def _content(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.55:
        return "".join(f"v{rng.randrange(10**6)} = {rng.randrange(10**6)}\n" for _ in range(rng.randrange(1, 6))).encode()
    if roll < 0.65:
        return b""
    if roll < 0.75:
        return b"bin\0ary" + bytes(rng.randrange(256) for _ in range(8))
    if roll < 0.85:
        return "caf\u00e9 = 1\n".encode("latin-1")
    return "ünïcode = '日本'\n".encode()


def _name(rng: random.Random, repos: list[str]) -> str:
    depth = rng.choice([0, 1, 1, 2, 2, 3, 4])
    parts = [rng.choice(repos)] if depth else []
    for _ in range(max(depth - 1, 0)):
        parts.append(rng.choice(_ODD) if rng.random() < 0.2 else rng.choice(_PLAIN))
    parts.append(rng.choice(_FILES))
    name = "/".join(parts)
    roll = rng.random()
    if roll < 0.05:
        return "/" + name  # absolute
    if roll < 0.1:
        return "./" + name
    return name


def generate(rng: random.Random, fmt: str) -> list[Member]:
    repos = ["alpha", "beta", "gamma", "caf\udcffrepo"][: rng.randrange(1, 5)]
    members: list[Member] = []
    for i, repo in enumerate(repos):
        roll = rng.random()
        if roll < 0.7:
            members.append(Member(f"{repo}/{MANIFEST}", "file", manifest(f"o/{repo if rng.random() < 0.9 else 'alpha'}", stars=i), True))
        elif roll < 0.85:
            members.append(Member(f"{repo}/{MANIFEST}", "file", b"{not json", True))
    kinds = {"tar": ["file"] * 8 + ["dir", "symlink", "hardlink", "fifo", "chardev"], "zip": ["file"] * 8 + ["dir", "symlink"]}
    kinds["tar.gz"] = kinds["tar"]
    kinds["dir"] = ["file"] * 8 + ["dir", "symlink", "fifo"]
    for _ in range(rng.randrange(1, 25)):
        earlier_files = [m for m in members if m.kind != "dir"]
        if earlier_files and rng.random() < 0.2:  # a repeat of an earlier name, maybe spelled differently
            earlier = rng.choice(earlier_files)
            name = earlier.name if rng.random() < 0.7 else "./" + earlier.name
            members.append(Member(name, "file", _content(rng), earlier.manifest))
            continue
        kind = rng.choice(kinds[fmt])
        name = _name(rng, repos)
        members.append(Member(name + "/" if kind == "dir" and fmt == "zip" else name, kind, _content(rng) if kind == "file" else b""))
    rng.shuffle(members)
    for m in members:
        m.utf8_flag = rng.random() < 0.7
    return members


def _write(fmt: str, path: Path, members: list[Member]) -> Path:
    if fmt == "zip":
        modes = [0o120777 if m.kind == "symlink" else 0o40755 if m.kind == "dir" else 0o100644 for m in members]
        raw = [(m.name.encode("utf-8", "surrogateescape"), b"../x" if m.kind == "symlink" else m.data) for m in members]
        return write_raw_zip(path.with_name(path.name + ".zip"), raw, utf8_flag=[m.utf8_flag for m in members], modes=modes)
    if fmt in ("tar", "tar.gz"):
        entries = [tar_member(m.name, m.data, m.kind, target="../x" if m.kind in ("symlink", "hardlink") else "") for m in members]
        return write_tar_members(path.with_name(f"{path.name}.{fmt}"), entries)
    root = path
    root.mkdir()
    for m in members:  # what a file system can hold: no traversal, absolute names, over-long components
        parts = [p for p in PurePosixPath(m.name).parts if p not in (".", "")]
        if m.name.startswith("/") or ".." in parts or any(len(os.fsencode(p)) > 255 for p in parts):
            continue
        full = os.path.join(os.fsencode(root), *[os.fsencode(p) for p in parts])
        try:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if m.kind == "dir":
                os.makedirs(full, exist_ok=True)
            elif m.kind == "symlink":
                os.symlink(b"../x", full)
            elif m.kind == "fifo":
                os.mkfifo(full)
            else:
                if os.path.lexists(full) and not os.path.isfile(full):
                    continue
                with open(full, "wb") as out:
                    out.write(m.data)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue  # a file where a folder should be, or the reverse: this member cannot exist here
    (root / "_SUCCESS").write_bytes(b"")
    return root


def _normalized(name: str) -> str:
    return "/".join(p for p in PurePosixPath(name).parts if p not in (".", ""))


def _expected_members(fmt: str, dump: Path, members: list[Member]) -> tuple[int, dict[str, bytes]]:
    """(members the table must account for, normalized path -> the last copy's bytes), from the generator
    (archives) or from the file system (folders), never from the code under test."""
    last: dict[str, bytes] = {}
    if fmt == "dir":
        count = 0
        for folder, dirs, files in os.walk(os.fsencode(dump)):
            rel = os.path.relpath(folder, os.fsencode(dump))
            for entry in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                name = os.fsdecode(os.path.normpath(os.path.join(rel, entry)))
                parts = name.split("/")
                if name == "_SUCCESS" or (len(parts) == 2 and parts[1] == MANIFEST):
                    continue
                count += 1
                full = os.path.join(folder, entry)
                if os.path.isfile(full) and not os.path.islink(full):
                    with open(full, "rb") as handle:
                        last[name] = handle.read()
        return count, last
    count = 0
    for m in members:
        if m.kind == "dir" or m.manifest:
            continue
        count += 1
        last[_normalized(m.name)] = m.data if m.kind == "file" else None
    return count, last


def _check_case(fmt: str, seed: int, tmp: Path) -> None:
    rng = random.Random(f"{fmt}-{seed}")
    members = generate(rng, fmt)
    dump = _write(fmt, tmp / f"dump-{seed}", members)
    expected, last = _expected_members(fmt, dump, members)
    lake = Lake(tmp / f"lake-{seed}")
    report = run_raw_files(lake, dump)  # raises on any failure: the case fails with its seed
    table = lake.dataset("raw_files").to_table(columns=["doc_id", "repo_dir", "path", "text"]).to_pylist()
    rows = [(r["doc_id"], r["repo_dir"], r["path"], r["text"]) for r in table]
    lineage = lake.dataset("lineage").to_table(columns=["doc_id", "reason", "repo", "path", "detail", "stage"]).to_pylist()
    drops = [(r["doc_id"], r["reason"], r["repo"], r["path"], r["detail"]) for r in lineage if r["stage"] == "raw_files"]
    where = f"{fmt} case {seed}: {[printable_name(m.name) + ':' + m.kind for m in members]}"
    assert len(rows) + len(drops) == expected == report.rows_in, where
    ids = [r[0] for r in rows] + [d[0] for d in drops]
    assert len(ids) == len(set(ids)), f"doc_id repeated; {where}"
    for _, repo_dir, path, text in rows:
        assert printable_name(f"{repo_dir}/{path}") == f"{repo_dir}/{path}", where
        assert text.encode() == last[f"{repo_dir}/{path}"], f"{repo_dir}/{path} is not the last copy; {where}"
    for _, reason, repo, path, detail in drops:
        for text in (reason, repo, path, detail):
            assert "\n" not in text, where


@pytest.mark.parametrize("fmt", ["zip", "tar", "tar.gz", "dir"])
def test_generated_dumps_keep_every_member_accounted_for_with_unique_ids(tmp_path, fmt):
    for seed in range(CASES_PER_FORMAT):
        case = tmp_path / f"{seed}"
        case.mkdir()
        _check_case(fmt, seed, case)
