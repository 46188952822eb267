"""python_counts_many pauses the cyclic collector for its parses and gives the per-file counts."""

from __future__ import annotations

import gc

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
