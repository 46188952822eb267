"""Member names a lake cannot hold or a file system cannot recreate: found, shown escaped, never stored raw.

Names are read as UTF-8 with `surrogateescape` (the file system's and tarfile's convention on Linux), so a
byte that is not UTF-8 survives as a lone surrogate: it identifies the member (doc ids hash the bytes) but
cannot be written to a Delta table or a terminal. `printable_name` shows such a name with its bytes
escaped; `name_problem` says why a member's name makes it a drop.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Newlines, tabs, C0/C1 controls and DEL, plus the Unicode line and paragraph separators: a path holding
# one breaks every line-oriented tool (file lists, logs, `git ls-files`), and shows as something else.
_LINE_BREAKING_CATEGORIES = {"Cc", "Zl", "Zp"}


@dataclass(frozen=True)
class NameLimits:
    max_name_bytes: int  # one path component (Linux NAME_MAX)
    max_path_bytes: int  # repository folder + path inside it (Linux PATH_MAX)


def raw_bytes(name: str) -> bytes:
    """The name's bytes as they were in the dump (surrogates back to the bytes they stand for)."""
    return name.encode("utf-8", "surrogateescape")


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if char == "\\":
        return "\\\\"
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    return unicodedata.category(char) in _LINE_BREAKING_CATEGORIES or unicodedata.category(char) == "Cs"


def printable_name(name: str) -> str:
    """`name` as valid, single-line UTF-8 text: undecodable bytes as \\xNN, control characters escaped.

    Names without anything to escape come back unchanged; escaped ones also double their backslashes, so
    two different problem names never show the same."""
    if (name.isascii() and name.isprintable()) or not any(_needs_escape(c) for c in name):
        return name
    return "".join(_escape(c) if c == "\\" or _needs_escape(c) else c for c in name)


def name_problem(repo_dir: str | None, path: str, limits: NameLimits) -> tuple[str, str] | None:
    """(drop reason, detail) when a member's name cannot be stored or recreated, else None."""
    full = path if repo_dir is None else f"{repo_dir}/{path}"
    if not (full.isascii() and full.isprintable()):  # the common case skips the per-character checks
        try:
            encoded = full.encode("utf-8")
        except UnicodeEncodeError:
            return "undecodable_path", f"name is not valid UTF-8: {printable_name(full)} (bytes that are not UTF-8 shown as \\xNN)"
        bad = next((c for c in full if unicodedata.category(c) in _LINE_BREAKING_CATEGORIES), None)
        if bad is not None:
            return "unprintable_path", f"name holds control character U+{ord(bad):04X}: {printable_name(full)}"
    else:
        encoded = full.encode("ascii")
    if len(encoded) > limits.max_path_bytes:
        return "path_too_long", f"path is {len(encoded)} bytes > {limits.max_path_bytes}: {full[:80]}..."
    for part in full.split("/") if len(encoded) > limits.max_name_bytes else ():
        size = len(part.encode("utf-8"))
        if size > limits.max_name_bytes:
            return "path_too_long", f"name component is {size} bytes > {limits.max_name_bytes}: {part[:80]}..."
    return None
