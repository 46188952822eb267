"""python_counts_many pauses the cyclic collector for its parses and gives the per-file counts."""

from __future__ import annotations

import gc
import threading

from codelake.filtered.signals_python import python_ast_counts, python_counts_many

TEXTS = [
    "class A:\n    x = 1\n    y: int = 2\n    def f(self):\n        return self.x\n",
    "def g(*, k):\n    pass\n",
    "print 'python 2'\n",
    "for i in range(3):\n    pass\n",
]


def test_counts_many_equal_the_per_file_counts():
    many = python_counts_many(TEXTS)
    assert many == [python_ast_counts(t) for t in TEXTS]
    assert many[0] == {"defs": 1, "simplefunc": 1, "classes": 1, "class_assigns": 2, "var_zero": False, "doc_chars": 0}
    assert many[1]["var_zero"] is True and many[2] is None and many[3]["var_zero"] is False


def test_the_collector_is_paused_only_while_parsing(monkeypatch):
    seen = []
    monkeypatch.setattr("codelake.filtered.signals_python.python_ast_counts", lambda t: seen.append(gc.isenabled()))
    assert gc.isenabled()
    python_counts_many(TEXTS)
    assert seen == [False] * len(TEXTS) and gc.isenabled()
    gc.disable()
    try:
        python_counts_many(TEXTS)
        assert not gc.isenabled()  # a caller's own pause stays
    finally:
        gc.enable()


def test_overlapping_calls_on_threads_share_one_pause(monkeypatch):
    """Y starts, X starts, Y ends, X ends: X's later parses still run paused, and the collector is back on
    at the end (with a per-call switch, Y's end turned it on under X, and X's end then left it as it was)."""
    seen: dict[str, bool] = {}
    y_parsing, x_parsing, y_go, x_go = (threading.Event() for _ in range(4))

    def counts(text):
        seen[text] = gc.isenabled()
        if text == "y":
            y_parsing.set()
            y_go.wait(30)
        elif text == "x1":
            x_parsing.set()
            x_go.wait(30)

    monkeypatch.setattr("codelake.filtered.signals_python.python_ast_counts", counts)
    assert gc.isenabled()
    y = threading.Thread(target=python_counts_many, args=(["y"],))
    y.start()
    assert y_parsing.wait(30)
    x = threading.Thread(target=python_counts_many, args=(["x1", "x2"],))
    x.start()
    assert x_parsing.wait(30)
    y_go.set()
    y.join()
    x_go.set()
    x.join()
    assert seen == {"y": False, "x1": False, "x2": False} and gc.isenabled()
