"""Bounded capture of a stream: the head and the tail are kept, the middle is only counted, so an
output flood costs a fixed amount of memory however much the program writes."""

from __future__ import annotations


class BoundedCapture:
    def __init__(self, kept_bytes: int):
        self.head_limit = kept_bytes // 2
        self.tail_limit = kept_bytes - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk and self.tail_limit:
            self.tail += chunk[-self.tail_limit :]
            if len(self.tail) > 2 * self.tail_limit:  # trim now and then, not on every chunk
                del self.tail[: -self.tail_limit]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + min(len(self.tail), self.tail_limit)

    def text(self) -> str:
        tail = bytes(self.tail[-self.tail_limit :]) if self.tail_limit else b""
        if not self.truncated:
            return (bytes(self.head) + tail).decode("utf-8", errors="replace")
        omitted = self.total - len(self.head) - len(tail)
        return (
            bytes(self.head).decode("utf-8", errors="replace")
            + f"\n[... {omitted} bytes omitted ...]\n"
            + tail.decode("utf-8", errors="replace")
        )
