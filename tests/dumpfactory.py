"""Build small real crawl dumps (folders and archives) for tests."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
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
