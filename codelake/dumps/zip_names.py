"""Open a zip whose member names may not be what they claim, and give back every name's original bytes.

A zip member flagged as having a UTF-8 name (general purpose bit 11) whose name is not UTF-8 makes
`zipfile.ZipFile` raise UnicodeDecodeError for the whole archive. Such an archive is reopened through a
view that clears that flag on exactly those central-directory entries: zipfile then reads their names
as CP437, which maps every byte to one character, so the bytes come back intact. Names are then read the
same way in every dump format: as UTF-8, with bytes that are not UTF-8 kept as surrogates.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

_UTF8_NAME_FLAG = 0x800
_FLAG_OFFSET = 8  # of the general purpose flags inside a central directory header


class _PatchedFile:
    """A read-only file whose bytes at given offsets read as replacements (zipfile reads through it)."""

    def __init__(self, path: Path, patches: dict[int, bytes]):
        self._file = open(path, "rb")
        self._patches = patches
        self.name = str(path)

    def read(self, size: int = -1) -> bytes:
        start = self._file.tell()
        data = self._file.read(size)
        if not data:
            return data
        out = None
        for offset, replacement in self._patches.items():
            for i, byte in enumerate(replacement):
                at = offset + i - start
                if 0 <= at < len(data):
                    out = out or bytearray(data)
                    out[at] = byte
        return bytes(out) if out is not None else data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._file.close()


def _mislabelled_name_flags(path: Path) -> dict[int, bytes]:
    """offset -> cleared flags, for central-directory entries flagged UTF-8 whose name is not UTF-8."""
    patches: dict[int, bytes] = {}
    with open(path, "rb") as fp:
        endrec = zipfile._EndRecData(fp)
        if not endrec:
            raise zipfile.BadZipFile("File is not a zip file")
        size_cd, offset_cd = endrec[zipfile._ECD_SIZE], endrec[zipfile._ECD_OFFSET]
        concat = endrec[zipfile._ECD_LOCATION] - size_cd - offset_cd  # as zipfile computes it
        if endrec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
            concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
        start = offset_cd + concat
        fp.seek(start)
        directory = fp.read(size_cd)
    pos = 0
    while pos + zipfile.sizeCentralDir <= len(directory):
        header = struct.unpack(zipfile.structCentralDir, directory[pos : pos + zipfile.sizeCentralDir])
        if header[zipfile._CD_SIGNATURE] != zipfile.stringCentralDir:
            break  # zipfile reports the damage itself
        name_end = pos + zipfile.sizeCentralDir + header[zipfile._CD_FILENAME_LENGTH]
        flags = header[zipfile._CD_FLAG_BITS]
        if flags & _UTF8_NAME_FLAG:
            try:
                directory[pos + zipfile.sizeCentralDir : name_end].decode("utf-8")
            except UnicodeDecodeError:
                patches[start + pos + _FLAG_OFFSET] = struct.pack("<H", flags & ~_UTF8_NAME_FLAG)
        pos = name_end + header[zipfile._CD_EXTRA_FIELD_LENGTH] + header[zipfile._CD_COMMENT_LENGTH]
    return patches


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except UnicodeDecodeError:
        return zipfile.ZipFile(_PatchedFile(path, _mislabelled_name_flags(path)))


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as UTF-8, bytes that are not UTF-8 as surrogates; NUL and all, as stored."""
    encoding = "utf-8" if info.flag_bits & _UTF8_NAME_FLAG else "cp437"
    return info.orig_filename.encode(encoding).decode("utf-8", "surrogateescape")
