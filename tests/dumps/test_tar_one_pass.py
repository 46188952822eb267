"""A .tar.gz dump is decompressed once: manifests, folders and members all come from one pass, and the
members read back are what extracting the archive gives (the folder dump of the same files)."""

from __future__ import annotations

import gzip
import os

from dumpfactory import MANIFEST, manifest, tar_member, write_dir_dump, write_tar_members

from codelake.dumps.sources import ArchiveLimits, DirectoryDump, TarDump

LIMITS = ArchiveLimits(max_members=10_000, max_total_uncompressed_bytes=1 << 30, max_compression_ratio=1000.0)
BIG = os.urandom(3 << 19)  # more than the spool's 1 MB copy chunk: a member crosses chunks

REPOS = {
    "alpha": {"a.py": b"print('a')\n", "pkg/b.py": b"x = 1\n", "big.bin": BIG, "empty.py": b"", MANIFEST: manifest("o/alpha")},
    "beta": {"main.go": b"package main\n", MANIFEST: manifest("o/beta", stars=3)},
}


def _archive(tmp_path):
    """dump-x.tar.gz: one top folder named like the dump; each manifest after its repository's files; a
    path repeated at the end (extraction leaves the last copy), a symlink and an unsafe name."""
    members = []
    for repo, files in REPOS.items():
        for path in sorted(files, key=lambda p: p == MANIFEST):
            data = b"old copy\n" if (repo, path) == ("alpha", "a.py") else files[path]
            members.append(tar_member(f"dump-x/{repo}/{path}", data))
    members.append(tar_member("dump-x/beta/link", kind="symlink", target="../alpha/a.py"))
    members.append(tar_member("dump-x/../escape.py", b"nope"))
    members.append(tar_member("dump-x/alpha/a.py", REPOS["alpha"]["a.py"]))
    return write_tar_members(tmp_path / "dump-x.tar.gz", members)


def _members(source) -> list[tuple]:
    return [(m.repo_dir, m.path, m.kind, m.size, m.detail, m.copy, m.copies, m.read(1 << 30) if m.kind == "file" else None)
            for m in source.members()]


def test_one_decompression_gives_manifests_folders_and_members(tmp_path, monkeypatch):
    path = _archive(tmp_path)
    opened, decompressed = [], []
    open_raw = TarDump._open_raw

    def counting_open_raw(self):
        raw = open_raw(self)
        opened.append(self.path)

        class Counted:
            def read(self, size=-1):
                data = raw.read(size)
                decompressed.append(len(data))
                return data

            def __enter__(self):
                raw.__enter__()
                return self

            def __exit__(self, *exc):
                return raw.__exit__(*exc)

        return Counted()

    monkeypatch.setattr(TarDump, "_open_raw", counting_open_raw)
    source = TarDump(path, MANIFEST, LIMITS)
    manifests, repo_dirs = source.manifests(), source.repo_dirs()
    members = _members(source)
    assert opened == [path]  # one pass over the archive
    assert sum(decompressed) == len(gzip.decompress(path.read_bytes()))  # every byte decompressed once

    folder = DirectoryDump(write_dir_dump(tmp_path / "dump-x", REPOS), MANIFEST)
    assert manifests == folder.manifests() and repo_dirs == folder.repo_dirs() == ["alpha", "beta"]
    last_copies = sorted(m for m in members if m[2] == "file" and m[5] == 0 and m[0] is not None)
    assert [(m[0], m[1], m[7]) for m in last_copies] == sorted((m[0], m[1], m[7]) for m in _members(folder) if m[2] == "file")
    by_path = {(m[0], m[1], m[5]): m for m in members}
    assert by_path[("alpha", "a.py", 1)][6:] == (2, b"old copy\n")  # the earlier copy, numbered
    assert by_path[("alpha", "a.py", 0)][6:] == (2, b"print('a')\n")
    assert by_path[("alpha", "big.bin", 0)][7] == BIG
    assert by_path[("beta", "link", 0)][2:5] == ("symlink", 0, "link to '../alpha/a.py' in archive; not followed")
    assert [m[2] for m in members if m[0] is None] == ["unsafe_path"]
    assert len(members) == 8  # 6 files (a.py twice; manifests are bookkeeping), the link, the unsafe name


def test_reads_are_bounded_by_the_limit_and_a_second_listing_reads_again(tmp_path, monkeypatch):
    source = TarDump(_archive(tmp_path), MANIFEST, LIMITS)
    listing = source.members()
    big = next(m for m in listing if m.path == "big.bin")
    assert big.read(10) == BIG[:10]
    listing.close()
    calls = []
    scan = TarDump._scan
    monkeypatch.setattr(TarDump, "_scan", lambda self: (calls.append(1), scan(self))[1])
    assert len(list(source.members())) == 8 and calls == [1]  # the spool went with the first listing
