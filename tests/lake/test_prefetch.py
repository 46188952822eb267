import threading

import pytest

from codelake.lake.prefetch import prefetched


def test_items_arrive_in_order_from_another_thread():
    seen_threads = set()

    def produce():
        for i in range(100):
            seen_threads.add(threading.current_thread().name)
            yield i

    assert list(prefetched(produce())) == list(range(100))
    assert seen_threads == {"codelake-prefetch"}


def test_producer_errors_reach_the_consumer_unchanged():
    def produce():
        yield 1
        raise KeyError("broken dump")

    with pytest.raises(KeyError, match="broken dump"):
        list(prefetched(produce()))


def test_consumer_stopping_early_stops_the_producer():
    produced = []

    def produce():
        for i in range(10_000):
            produced.append(i)
            yield i

    for item in prefetched(produce(), depth=2):
        if item == 3:
            break
    assert len(produced) < 20
