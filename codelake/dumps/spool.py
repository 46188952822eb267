"""A spool of archive members on local disk: written once in archive order, read back in the same order.

A tar stream says which repository folders have manifests, whether one top folder wraps them and which
paths repeat only at its end, yet every member needs those answers. Rather than decompress the archive
twice, its one pass writes each member's header and bytes here; the members are then read back from
this file, which is anonymous (unlinked when made, gone when closed or when the process ends). Memory
stays flat: a header is pickled next to its bytes, nothing is held per member.
"""

from __future__ import annotations

import os
import pickle
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

_LENGTHS = struct.Struct("<IQ")  # pickled header length, data length
_CHUNK = 1 << 20


class MemberSpool:
    def __init__(self, directory: str | None = None):
        self._file = tempfile.TemporaryFile(dir=directory)
        self._fd = self._file.fileno()

    def append(self, header: tuple, data: BinaryIO | None = None, size: int = 0) -> None:
        """A member's header, then `size` bytes copied from `data` in chunks (a large member never
        sits whole in memory); fewer bytes than `size` raise EOFError (a truncated archive)."""
        pickled = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(_LENGTHS.pack(len(pickled), size if data is not None else 0))
        self._file.write(pickled)
        remaining = size if data is not None else 0
        while remaining:
            chunk = data.read(min(remaining, _CHUNK))
            if not chunk:
                raise EOFError(f"member data ends {remaining} bytes early")
            self._file.write(chunk)
            remaining -= len(chunk)

    def records(self) -> Iterator[tuple[tuple, Callable[[int], bytes]]]:
        """(header, read) per member in order; read(limit) gives at most `limit` of its bytes, and
        is valid until the spool is closed."""
        self._file.flush()
        end = self._file.tell()
        offset = 0
        while offset < end:
            header_len, data_len = _LENGTHS.unpack(os.pread(self._fd, _LENGTHS.size, offset))
            offset += _LENGTHS.size
            header = pickle.loads(os.pread(self._fd, header_len, offset))
            offset += header_len
            yield header, (lambda limit, at=offset, n=data_len: self._read(at, min(limit, n)))
            offset += data_len

    def _read(self, offset: int, size: int) -> bytes:
        parts = []
        while size > 0:
            chunk = os.pread(self._fd, size, offset)
            if not chunk:
                raise OSError("member spool ends early")
            parts.append(chunk)
            offset += len(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def close(self) -> None:
        self._file.close()
