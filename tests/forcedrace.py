"""Forcing a thread interleaving instead of hoping for it: one thread is traced (sys.settrace) and held at
a chosen line while a second one runs to the end, then released. A race test built on it fails or
passes the same way on every run, on a quiet machine or a loaded one."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType


@dataclass(frozen=True)
class Pause:
    """Hold a thread at the first line event in a frame of code `code_name` from a file ending in
    `file_end` for which `where(frame)` holds."""

    code_name: str
    file_end: str
    where: Callable[[FrameType], bool] = lambda frame: True

    def matches_code(self, frame: FrameType) -> bool:
        return frame.f_code.co_name == self.code_name and frame.f_code.co_filename.endswith(self.file_end)


def interleave(first: Callable[[], object], second: Callable[[], object], pause: Pause) -> dict:
    """Run `first` on a thread until it reaches `pause` (or ends), then `second` to its end on this
    thread, then let `first` go on. Returns {"paused": whether `first` reached the pause,
    "first"/"second": its result or the exception it raised}."""
    reached, release = threading.Event(), threading.Event()
    out: dict = {"paused": False}

    def hold(frame: FrameType, event: str, arg):
        if event == "line" and not reached.is_set() and pause.where(frame):
            out["paused"] = True
            reached.set()
            release.wait()
        return hold

    def tracer(frame: FrameType, event: str, arg):
        if event == "call" and not reached.is_set() and pause.matches_code(frame):
            return hold
        return None

    def run_first():
        sys.settrace(tracer)
        try:
            out["first"] = first()
        except BaseException as error:  # noqa: BLE001 - reported to the caller
            out["first"] = error
        finally:
            sys.settrace(None)
            reached.set()

    thread = threading.Thread(target=run_first, name="forced-first")
    thread.start()
    reached.wait()
    try:
        out["second"] = second()
    except BaseException as error:  # noqa: BLE001
        out["second"] = error
    finally:
        release.set()
        thread.join()
    return out
