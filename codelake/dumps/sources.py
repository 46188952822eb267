"""Reading a dump's members without extracting anything.

A dump is a directory or a `.tar`, `.tar.gz`/`.tgz` or `.zip` archive holding one folder per repository
(optionally all under one top folder named like the dump). Members are yielded in a deterministic
order with their repository folder and path; anything unsafe (absolute or `..` paths, symlinks,
devices) is yielded as such, never followed or opened, so the caller records it as a drop. Names are
UTF-8 with bytes that are not UTF-8 kept as surrogates (see `names`); a path an archive repeats is
yielded every time, each member knowing which copy it is (see `copies`).
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import stat
import struct
import subprocess
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from codelake.dumps.copies import RepeatedNames
from codelake.dumps.errors import DumpError
from codelake.dumps.names import printable_name
from codelake.dumps.spool import MemberSpool
from codelake.dumps.zip_names import member_name, open_zip

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
COMPLETE_MARKER = "_SUCCESS"


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int
    max_total_uncompressed_bytes: int
    max_compression_ratio: float


@dataclass
class DumpMember:
    repo_dir: str | None  # the repository folder; None for a member at the dump's root
    path: str  # posix path inside the repository folder
    kind: str  # "file", or why it is not read: "symlink", "special_file", "unsafe_path", "compression_bomb"
    size: int
    detail: str = ""
    copy: int = 0  # 0: the only member with this path, or the last (the one extraction leaves); else 1, 2, ...
    copies: int = 1  # members of the dump with this path
    _reader: Callable[[int], bytes] | None = field(default=None, repr=False)

    def read(self, limit: int) -> bytes:
        """At most `limit` bytes of the file. Raises OSError when the file cannot be read."""
        if self._reader is None:
            raise OSError(f"{printable_name(self.path)}: not a readable file ({self.kind})")
        return self._reader(limit)


def dump_name_of(path: str | Path) -> str:
    name = Path(path).name
    for suffix in ARCHIVE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _split(parts: tuple[str, ...], dump_name: str, strip_top: bool) -> tuple[str | None, str]:
    if strip_top and len(parts) > 1 and parts[0] == dump_name:
        parts = parts[1:]
    if len(parts) == 1:
        return None, parts[0]
    return parts[0], "/".join(parts[1:])


def _unsafe_reason(name: str) -> str | None:
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        return "absolute path in archive"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "'..' in archive path"
    if "\0" in name:
        return "NUL in archive path"
    return None


class _CountingReader:
    """A file object that counts the (decompressed) bytes handed out."""

    def __init__(self, raw):
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


class _GzipProcess:
    """Decompress with the `gzip` program: it runs on the other core while Python parses the tar."""

    def __init__(self, path: Path):
        self.path = path
        self._proc = subprocess.Popen(["gzip", "-dc", "--", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def read(self, size: int = -1) -> bytes:
        data = self._proc.stdout.read(size)
        if not data and self._proc.wait() != 0:
            raise OSError(f"gzip: {self._proc.stderr.read().decode(errors='replace').strip()}")
        return data

    def __enter__(self) -> "_GzipProcess":
        return self

    def __exit__(self, *exc) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._proc.stdout.close()
        self._proc.stderr.close()


class DumpSource:
    """Common interface: the manifests first (small), then every member in order."""

    def __init__(self, path: Path, manifest_file: str):
        self.path = path
        self.name = dump_name_of(path)
        self.manifest_file = manifest_file
        self.where = printable_name(str(path))  # the dump in messages

    def manifests(self) -> dict[str, bytes | str]:
        """repo folder -> manifest bytes, or an error string when it exists but cannot be read."""
        raise NotImplementedError

    def repo_dirs(self) -> list[str]:
        raise NotImplementedError

    def members(self) -> Iterator[DumpMember]:
        raise NotImplementedError

    def _is_bookkeeping(self, repo_dir: str | None, path: str) -> bool:
        return (repo_dir is None and path == COMPLETE_MARKER) or (repo_dir is not None and path == self.manifest_file)


class DirectoryDump(DumpSource):
    def _read_regular(self, full: str, limit: int) -> bytes:
        # O_NOFOLLOW: a file swapped for a symlink after listing is refused, not followed.
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{full}: no longer a regular file")
            chunks, remaining = [], limit
            while remaining > 0:
                chunk = os.read(fd, min(remaining, 1 << 22))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _top_entries(self) -> list[os.DirEntry]:
        try:
            return sorted(os.scandir(self.path), key=lambda e: e.name)
        except OSError as err:
            raise DumpError(f"{self.where}: cannot list dump directory: {err}") from err

    def repo_dirs(self) -> list[str]:
        return [e.name for e in self._top_entries() if e.is_dir(follow_symlinks=False)]

    def manifests(self) -> dict[str, bytes | str]:
        found: dict[str, bytes | str] = {}
        for repo_dir in self.repo_dirs():
            full = os.path.join(self.path, repo_dir, self.manifest_file)
            if os.path.lexists(full):
                try:
                    found[repo_dir] = self._read_regular(full, 1 << 20)
                except OSError as err:
                    found[repo_dir] = f"cannot read {self.manifest_file}: {err}"
        return found

    def _member(self, entry: os.DirEntry, repo_dir: str | None, rel: str) -> DumpMember:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as err:
            return DumpMember(repo_dir, rel, "unreadable", 0, str(err))
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(entry.path)
            resolved = os.path.realpath(entry.path)
            root = os.path.realpath(self.path)
            escapes = os.path.commonpath([resolved, root]) != root
            where = "outside the dump" if escapes else "inside the dump"
            return DumpMember(repo_dir, rel, "symlink", 0, f"symlink to {target!r} ({where}); not followed")
        if not stat.S_ISREG(st.st_mode):
            return DumpMember(repo_dir, rel, "special_file", 0, f"mode {stat.filemode(st.st_mode)}")
        full = entry.path
        return DumpMember(repo_dir, rel, "file", st.st_size, _reader=lambda limit: self._read_regular(full, limit))

    def _walk(self, directory: str, repo_dir: str, prefix: str) -> Iterator[DumpMember]:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            yield DumpMember(repo_dir, prefix.rstrip("/") or ".", "unreadable", 0, f"cannot list directory: {err}")
            return
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(entry.path, repo_dir, rel + "/")
            elif not self._is_bookkeeping(repo_dir, rel):
                yield self._member(entry, repo_dir, rel)

    def members(self) -> Iterator[DumpMember]:
        for entry in self._top_entries():
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(entry.path, entry.name, "")
            elif not self._is_bookkeeping(None, entry.name):
                yield self._member(entry, None, entry.name)


def _member_key(name: str) -> str:
    """What makes two archive members the same path: the normalized name (unsafe names: as stored)."""
    if _unsafe_reason(name):
        return "\0unsafe\0" + name
    return "/".join(p for p in PurePosixPath(name).parts if p not in (".", ""))


class TarDump(DumpSource):
    """Streams the archive (`r|*`) once, decompressing it once: headers and bytes go to a spool on local
    disk (`spool`: as large as the archive's files, gone when read) while the manifests and folders are
    noted; the members are then yielded from the spool. Memory stays flat."""

    def __init__(self, path: Path, manifest_file: str, limits: ArchiveLimits):
        super().__init__(path, manifest_file)
        self.limits = limits
        self._strip_top = False
        self._manifests: dict[str, bytes | str] | None = None
        self._repo_dirs: list[str] = []
        self._repeated = RepeatedNames()
        self._spool: MemberSpool | None = None

    def _stream(self) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
        count = total = 0
        last = None  # the last member read whole, to say where a damaged archive breaks
        try:
            with self._open_raw() as raw:
                counted = _CountingReader(raw)
                # Names as UTF-8 with undecodable bytes kept as surrogates (not the locale's encoding).
                with tarfile.open(fileobj=counted, mode="r|", encoding="utf-8", errors="surrogateescape") as archive:
                    for info in archive:
                        count += 1
                        total += max(info.size, 0)
                        if count > self.limits.max_members:
                            raise DumpError(f"{self.where}: more than {self.limits.max_members} members; refused")
                        if total > self.limits.max_total_uncompressed_bytes:
                            raise DumpError(
                                f"{self.where}: declares more than {self.limits.max_total_uncompressed_bytes} bytes; refused as a bomb"
                            )
                        yield archive, info
                        last = info.name
                        archive.members.clear()  # tarfile keeps every header otherwise
                    end_of_members = archive.offset
                # tarfile stops silently at a truncation; a whole archive has its end-of-archive block
                # after the last member, and a gzip stream its trailer (checked by reading to the end).
                while counted.read(1 << 20):
                    pass
                if counted.count < end_of_members + tarfile.BLOCKSIZE:
                    raise DumpError(
                        f"{self.where}: corrupt or truncated archive: ends inside member data or before the end-of-archive block{self._after(last)}"
                    )
        except DumpError:
            raise
        except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
            raise DumpError(f"{self.where}: corrupt or truncated archive{self._after(last)}: {err}") from err

    @staticmethod
    def _after(last: str | None) -> str:
        return f" (after member {printable_name(last)!r})" if last is not None else " (at its first member)"

    def _open_raw(self):
        if not self.path.name.endswith((".gz", ".tgz")):
            return open(self.path, "rb")
        if shutil.which("gzip"):
            return _GzipProcess(self.path)
        return gzip.open(self.path, "rb")

    def _scan(self) -> None:
        """The one pass: every member's header and bytes to the spool, the manifests and folders noted."""
        spool = MemberSpool()
        try:
            self._scan_into(spool)
        except BaseException:
            spool.close()
            raise
        if self._spool is not None:
            self._spool.close()
        self._spool = spool

    def _scan_into(self, spool: MemberSpool) -> None:
        found: dict[tuple[str, ...], bytes | str] = {}
        # The folders, kept per folder, not per member: strip one top folder named like the dump when
        # every member is inside it; the repositories are then the folders below it.
        any_name, all_under_top = False, True
        firsts: set[str] = set()
        under_top: set[str] = set()
        for archive, info in self._stream():
            unsafe = _unsafe_reason(info.name)
            parts = () if unsafe else tuple(p for p in PurePosixPath(info.name).parts if p not in (".", ""))
            # A repeated manifest: the last one wins, as it would on extraction.
            is_manifest = bool(parts) and parts[-1] == self.manifest_file and len(parts) in (2, 3)
            if not info.isdir():
                self._repeated.add(_member_key(info.name))
                if unsafe:
                    spool.append((info.name, "unsafe", 0, None))
                elif info.isfile():
                    self._spool_file(archive, info, spool, found if is_manifest and info.size <= 1 << 20 else None, parts)
                elif info.issym() or info.islnk():
                    spool.append((info.name, "link", 0, info.linkname))
                else:
                    spool.append((info.name, "special", 0, info.type))
            if unsafe:
                continue
            if is_manifest and not (info.isfile() and info.size <= 1 << 20):
                found[parts] = f"{self.manifest_file} is not a small regular file"
            if parts and not info.isdir():
                any_name = True
                firsts.add(parts[0])
                if parts[0] == self.name and len(parts) > 1:
                    under_top.add(parts[1])
                else:
                    all_under_top = False
        self._repeated.freeze()
        self._strip_top = any_name and all_under_top
        self._manifests = {}
        for parts, raw in found.items():
            if self._strip_top:
                parts = parts[1:]
            if len(parts) == 2:
                self._manifests[parts[0]] = raw
        self._repo_dirs = sorted(under_top if self._strip_top else firsts)

    def _spool_file(self, archive: tarfile.TarFile, info: tarfile.TarInfo, spool: MemberSpool, manifests: dict | None, parts: tuple) -> None:
        """A regular member's bytes to the spool (a manifest's also to `manifests`)."""
        try:
            handle = archive.extractfile(info)
            if manifests is not None:
                data = handle.read() if handle else b""
                manifests[parts] = data
                spool.append((info.name, "file", info.size, None), io.BytesIO(data), len(data))
            else:
                spool.append((info.name, "file", info.size, None), handle, info.size)
        except (tarfile.TarError, EOFError, zlib.error) as err:
            raise DumpError(f"{self.where}: corrupt or truncated archive at member {printable_name(info.name)!r}: {err}") from err
        except OSError as err:
            if err.errno is not None:  # the spool's disk, not the archive
                raise
            raise DumpError(f"{self.where}: corrupt or truncated archive at member {printable_name(info.name)!r}: {err}") from err

    def manifests(self) -> dict[str, bytes | str]:
        if self._manifests is None:
            self._scan()
        return dict(self._manifests or {})

    def repo_dirs(self) -> list[str]:
        if self._manifests is None:
            self._scan()
        return self._repo_dirs

    def members(self) -> Iterator[DumpMember]:
        """Every member from the spool of the one pass; the spool is dropped once they are all yielded
        (asked again, the archive is read again)."""
        if self._spool is None:
            self._scan()
        spool, self._spool = self._spool, None
        self._repeated.restart()
        try:
            for (name, kind, size, extra), read in spool.records():
                copy, copies = self._repeated.copy_of(_member_key(name))
                if kind == "unsafe":
                    yield DumpMember(None, name, "unsafe_path", 0, _unsafe_reason(name), copy, copies)
                    continue
                parts = tuple(p for p in PurePosixPath(name).parts if p not in (".", ""))
                repo_dir, rel = _split(parts, self.name, self._strip_top)
                if self._is_bookkeeping(repo_dir, rel):
                    continue
                if kind == "link":
                    detail = f"link to {printable_name(extra)!r} in archive; not followed"
                    yield DumpMember(repo_dir, rel, "symlink", 0, detail, copy, copies)
                elif kind == "special":
                    yield DumpMember(repo_dir, rel, "special_file", 0, f"tar member type {extra!r}", copy, copies)
                else:
                    yield DumpMember(repo_dir, rel, "file", size, copy=copy, copies=copies, _reader=read)
        finally:
            spool.close()


@dataclass
class _ZipEntry:
    info: zipfile.ZipInfo
    name: str  # as stored (NUL included, which zipfile's `filename` cuts off), bytes not UTF-8 as surrogates
    copy: int = 0
    copies: int = 1

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


class ZipDump(DumpSource):
    def __init__(self, path: Path, manifest_file: str, limits: ArchiveLimits):
        super().__init__(path, manifest_file)
        self.limits = limits
        try:
            self._zip = open_zip(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, struct.error) as err:
            raise DumpError(f"{self.where}: corrupt or truncated zip archive: {err}") from err
        if len(infos) > limits.max_members:
            raise DumpError(f"{self.where}: more than {limits.max_members} members; refused")
        if sum(i.file_size for i in infos) > limits.max_total_uncompressed_bytes:
            raise DumpError(f"{self.where}: declares more than {limits.max_total_uncompressed_bytes} bytes; refused as a bomb")
        entries = [_ZipEntry(info, member_name(info)) for info in infos]
        # Copies are numbered in the central directory's order (the last one is what unzip leaves).
        repeated = RepeatedNames()
        for entry in entries:
            if not entry.is_dir:
                repeated.add(_member_key(entry.name))
        repeated.freeze()
        for entry in entries:
            if not entry.is_dir:
                entry.copy, entry.copies = repeated.copy_of(_member_key(entry.name))
        self._entries = sorted(entries, key=lambda e: e.name)  # stable: copies stay in archive order
        safe = [
            tuple(p for p in PurePosixPath(e.name).parts if p not in (".", ""))
            for e in self._entries
            if not _unsafe_reason(e.name) and not e.is_dir
        ]
        safe = [p for p in safe if p]
        self._strip_top = bool(safe) and all(p[0] == self.name and len(p) > 1 for p in safe)

    def _parts(self, entry: _ZipEntry) -> tuple[str | None, str]:
        parts = tuple(p for p in PurePosixPath(entry.name).parts if p not in (".", ""))
        return _split(parts, self.name, self._strip_top)

    def repo_dirs(self) -> list[str]:
        dirs = set()
        for entry in self._entries:
            if not _unsafe_reason(entry.name):
                repo_dir, rel = self._parts(entry)
                if repo_dir is not None:
                    dirs.add(repo_dir)
                elif entry.is_dir:
                    dirs.add(rel.rstrip("/"))
        return sorted(dirs)

    def _read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        try:
            with self._zip.open(info) as handle:
                return handle.read(limit)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as err:
            raise OSError(f"corrupt zip member: {err}") from err

    def manifests(self) -> dict[str, bytes | str]:
        found: dict[str, bytes | str] = {}
        for entry in self._entries:  # a repeated manifest: the last one wins, as on extraction
            if _unsafe_reason(entry.name) or entry.is_dir:
                continue
            repo_dir, rel = self._parts(entry)
            if repo_dir is not None and rel == self.manifest_file:
                try:
                    found[repo_dir] = self._read(entry.info, 1 << 20)
                except OSError as err:
                    found[repo_dir] = f"cannot read {self.manifest_file}: {err}"
        return found

    def members(self) -> Iterator[DumpMember]:
        for entry in self._entries:
            if entry.is_dir:
                continue
            info, copy, copies = entry.info, entry.copy, entry.copies
            unsafe = _unsafe_reason(entry.name)
            if unsafe:
                yield DumpMember(None, entry.name, "unsafe_path", 0, unsafe, copy, copies)
                continue
            repo_dir, rel = self._parts(entry)
            if self._is_bookkeeping(repo_dir, rel):
                continue
            mode = info.external_attr >> 16
            ratio = info.file_size / max(info.compress_size, 1)
            if stat.S_ISLNK(mode):
                yield DumpMember(repo_dir, rel, "symlink", 0, "symlink in zip archive; not followed", copy, copies)
            elif ratio > self.limits.max_compression_ratio and info.file_size > 1 << 20:
                detail = f"compression ratio {ratio:.0f}:1 ({info.file_size} bytes from {info.compress_size})"
                yield DumpMember(repo_dir, rel, "compression_bomb", info.file_size, detail, copy, copies)
            else:
                reader = lambda limit, i=info: self._read(i, limit)  # noqa: E731
                yield DumpMember(repo_dir, rel, "file", info.file_size, copy=copy, copies=copies, _reader=reader)


def open_dump(path: str | Path, manifest_file: str, limits: ArchiveLimits) -> DumpSource:
    path = Path(path)
    where = printable_name(str(path))
    if path.is_symlink():
        raise DumpError(f"{where}: a dump may not be a symlink")
    name = dump_name_of(path)
    if not name or printable_name(name) != name:
        raise DumpError(f"{where}: the dump's name {printable_name(name)!r} is not UTF-8 text without control characters; rename it")
    if path.is_dir():
        return DirectoryDump(path, manifest_file)
    if not path.is_file():
        raise DumpError(f"{where}: no such dump (expected a directory or {', '.join(ARCHIVE_SUFFIXES)})")
    if path.name.endswith(".zip"):
        return ZipDump(path, manifest_file, limits)
    if path.name.endswith((".tar", ".tar.gz", ".tgz")):
        return TarDump(path, manifest_file, limits)
    raise DumpError(f"{where}: unknown dump format (expected a directory or {', '.join(ARCHIVE_SUFFIXES)})")


def count_members(source: DumpSource) -> int:
    """Members a stage must account for, counted by listing alone (no file is read)."""
    return sum(1 for _ in source.members())
