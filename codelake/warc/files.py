"""Which files of a web dump are WARC files, and the dump's name.

A web dump is one `.warc` / `.warc.gz` file, or a folder of them (any depth, `_SUCCESS` written last).
"""

from __future__ import annotations

from pathlib import Path

from codelake.settings import codelake_home

WARC_SUFFIXES = (".warc.gz", ".warc")


def default_web_landing_zone() -> Path:
    return codelake_home() / "landing" / "web"


def web_dump_name_of(path: str | Path) -> str:
    name = Path(path).name
    for suffix in WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def warc_files(dump_path: str | Path) -> list[tuple[str, Path]]:
    """(name relative to the dump, path) of every WARC file, sorted: the dump itself when it is a file.
    Dotfiles and partial copies (`x.warc.gz.part`) are not WARC files; symlinks are never followed."""
    path = Path(dump_path)
    if path.is_file():
        return [(path.name, path)]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such web dump (expected a folder or a {' / '.join(WARC_SUFFIXES)} file)")
    found = []
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path).as_posix()
        if any(part.startswith(".") for part in file.relative_to(path).parts) or file.is_symlink():
            continue
        if file.is_file() and file.name.endswith(WARC_SUFFIXES):
            found.append((relative, file))
    return found
