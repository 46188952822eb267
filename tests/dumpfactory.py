"""Build small real crawl dumps (folders and archives) for tests."""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

MANIFEST = ".codelake.json"


def manifest(name: str, stars: int = 10, last_commit: str = "2024-01-01T00:00:00Z", license: str | None = "MIT") -> bytes:
    return json.dumps({"name": name, "stars": stars, "last_commit": last_commit, "license": license, "source": "test"}).encode()


def write_dir_dump(root: Path, repos: dict[str, dict[str, bytes]], complete: bool = True) -> Path:
    """repos: folder -> {relative path -> bytes}; include MANIFEST in the files to give one."""
    root.mkdir(parents=True, exist_ok=True)
    for folder, files in repos.items():
        for rel, data in files.items():
            path = root / folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if complete:
        (root / "_SUCCESS").write_bytes(b"")
    return root


def _flatten(repos: dict[str, dict[str, bytes]], top: str | None) -> list[tuple[str, bytes]]:
    prefix = f"{top}/" if top else ""
    return [(f"{prefix}{folder}/{rel}", data) for folder, files in repos.items() for rel, data in files.items()]


def write_tar_dump(path: Path, repos: dict[str, dict[str, bytes]], top: str | None = None, extra: list[tarfile.TarInfo] | None = None) -> Path:
    mode = "w:gz" if path.name.endswith((".tar.gz", ".tgz")) else "w"
    with tarfile.open(path, mode) as archive:
        for name, data in _flatten(repos, top):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in extra or []:
            archive.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return path


def write_zip_dump(path: Path, repos: dict[str, dict[str, bytes]], top: str | None = None, raw_members: list[tuple[str, bytes]] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _flatten(repos, top) + (raw_members or []):
            archive.writestr(name, data)
    return path


def small_repos() -> dict[str, dict[str, bytes]]:
    """Two repositories sharing one identical file; a Python, a C and a Markdown file among them."""
    shared = b"def shared():\n    return 42\n"
    return {
        "alice__tools": {
            MANIFEST: manifest("alice/tools", stars=50, last_commit="2024-05-01T00:00:00Z"),
            "tools/util.py": shared,
            "src/main.c": b"int main(void) { return 0; }\n",
            "README.md": b"# tools\n",
        },
        "bob__fork": {
            MANIFEST: manifest("bob/fork", stars=3, last_commit="2024-06-01T00:00:00Z"),
            "lib/util.py": shared,
            "lib/other.py": b"print('other')\n",
        },
    }


# Archives with member names and types as a crawl may really hold them (repeated paths, bytes that are
# not UTF-8, links, devices): tarfile and zipfile refuse to write some of these, so they are built here.

def tar_member(name: str, data: bytes = b"", kind: str = "file", target: str = "") -> tuple[tarfile.TarInfo, bytes]:
    """`name` may hold surrogates (bytes that are not UTF-8); kind: file, dir, symlink, hardlink, fifo, chardev."""
    info = tarfile.TarInfo(name)
    info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                 "fifo": tarfile.FIFOTYPE, "chardev": tarfile.CHRTYPE}[kind]
    info.size = len(data) if kind == "file" else 0
    info.linkname = target
    return info, data


def write_tar_members(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    """Members in the given order, repeats included; names written as their original bytes (PAX)."""
    mode = "w:gz" if path.name.endswith((".tar.gz", ".tgz")) else "w"
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def write_raw_zip(path: Path, members: list[tuple[bytes, bytes]], utf8_flag: bool | list[bool] = True, modes: list[int] | None = None) -> Path:
    """A stored (uncompressed) zip whose names are exactly the given bytes, repeats included, with the
    UTF-8 name flag as given (zipfile would refuse a flagged name that is not UTF-8, and warns on repeats)."""
    flags = utf8_flag if isinstance(utf8_flag, list) else [utf8_flag] * len(members)
    local, central = bytearray(), bytearray()
    for (name, data), flag, mode in zip(members, flags, modes or [0o100644] * len(members)):
        crc, bits = zlib.crc32(data), 0x800 if flag else 0
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, bits, 0, 0, 0x21, crc, len(data), len(data), len(name), 0) + name + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, bits, 0, 0, 0x21, crc, len(data), len(data), len(name), 0, 0, 0, 0, mode << 16, offset) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path
