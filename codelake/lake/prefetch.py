"""Run a batch generator in a background thread, a bounded number of batches ahead of its consumer.

The producer (reading, hashing, decoding: mostly Python) and the consumer (Parquet encoding and zstd,
which release the GIL) then overlap on two cores. Exceptions reach the consumer unchanged.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    channel: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        channel.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            channel.put((_DONE, None))
        except BaseException as err:  # handed to the consumer, which re-raises it
            channel.put((_DONE, err))

    worker = threading.Thread(target=produce, name="codelake-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, err = channel.get()
            if err is not None:
                raise err
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue, then let it finish
            try:
                channel.get_nowait()
            except queue.Empty:
                worker.join(0.05)
