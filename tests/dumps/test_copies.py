"""A path an archive repeats: the last copy stands for it, earlier ones are numbered in archive order."""

from __future__ import annotations

from codelake.dumps.copies import RepeatedNames
from codelake.ids import doc_id


def test_copies_are_numbered_in_order_and_the_last_is_copy_zero():
    keys = ["a.py", "b.py", "a.py", "c.py", "a.py", "b.py"]
    names = RepeatedNames()
    for key in keys:
        names.add(key)
    names.freeze()
    first = [names.copy_of(k) for k in keys]
    assert first == [(1, 3), (1, 2), (2, 3), (0, 1), (0, 3), (0, 2)]
    names.restart()  # a second pass over the same members numbers them the same
    assert [names.copy_of(k) for k in keys] == first


def test_no_repeats_costs_no_lookups_and_surrogates_are_keys_too():
    names = RepeatedNames()
    for key in ("x", "caf\udcff", "caf\udcfe"):
        names.add(key)
    names.freeze()
    assert [names.copy_of(k) for k in ("x", "caf\udcff", "caf\udcfe")] == [(0, 1)] * 3


def test_every_copy_has_its_own_doc_id_and_the_last_keeps_the_plain_one():
    ids = {doc_id("d", "repo", "a.py", copy) for copy in range(4)}
    assert len(ids) == 4
    assert doc_id("d", "repo", "a.py", 0) == doc_id("d", "repo", "a.py")
    # names differing only in undecodable bytes keep different ids
    assert doc_id("d", "repo", "caf\udcff.py") != doc_id("d", "repo", "caf\udcfe.py")
