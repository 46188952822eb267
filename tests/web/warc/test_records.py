"""Reading WARC files record by record, past damage: every stretch of unreadable bytes is one Damage
event naming the file and byte offset, and the records after it are still read."""

from __future__ import annotations

import gzip
import re

from codelake.warc.records import Damage, OtherRecord, ResponseRecord, read_warc
from warcfactory import Other, Response, page, write_warc


def _pages(n: int) -> list[Response]:
    return [Response.html(f"http://site.example/{i}", page(f"page {i}", "text " * 50)) for i in range(n)]


def _events(path, limit=10_000_000):
    return list(read_warc(path, path.name, limit))


def _urls(events):
    return [e.url for e in events if isinstance(e, ResponseRecord)]


def test_every_record_type_is_an_event_with_its_offset(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    offsets = write_warc(path, [Other("warcinfo"), *_pages(2), Other("metadata"), Other("revisit")])
    events = _events(path)
    assert [e.offset for e in events] == offsets
    assert [getattr(e, "record_type", "response") for e in events] == ["warcinfo", "response", "response", "metadata", "revisit"]
    assert all(e.digest_ok for e in events if isinstance(e, ResponseRecord))


def test_a_corrupt_gzip_member_in_the_middle_is_one_damage_and_the_rest_is_read(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    offsets = write_warc(path, _pages(6))
    data = bytearray(path.read_bytes())
    middle = (offsets[2] + offsets[3]) // 2
    data[middle:middle + 40] = bytes(b ^ 0x55 for b in data[middle:middle + 40])
    path.write_bytes(bytes(data))
    events = _events(path)
    damage = [e for e in events if isinstance(e, Damage)]
    assert len(damage) == 1 and damage[0].offset == offsets[2] and damage[0].file == "crawl.warc.gz"
    assert f"reading resumed at byte {offsets[3]}" in damage[0].problem
    assert _urls(events) == [f"http://site.example/{i}" for i in (0, 1, 3, 4, 5)]


def test_a_truncated_warc_gz_keeps_every_whole_record_and_reports_the_cut_one(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    offsets = write_warc(path, _pages(4))
    path.write_bytes(path.read_bytes()[:-60])
    events = _events(path)
    assert _urls(events) == [f"http://site.example/{i}" for i in range(3)]
    assert [(type(e), e.offset) for e in events if not isinstance(e, ResponseRecord)] == [(Damage, offsets[3])]


def _with_content_length(path, offsets, index, delta, gz):
    data = path.read_bytes()
    member = data[offsets[index]:offsets[index + 1]]
    raw = gzip.decompress(member) if gz else member
    declared = int(re.search(rb"Content-Length: (\d+)", raw).group(1))
    raw = raw.replace(b"Content-Length: %d" % declared, b"Content-Length: %d" % (declared + delta), 1)
    path.write_bytes(data[:offsets[index]] + (gzip.compress(raw) if gz else raw) + data[offsets[index + 1]:])


def test_a_content_length_that_lies_loses_only_that_record(tmp_path):
    for gz in (True, False):
        for delta in (300, -200):
            path = tmp_path / f"lying{delta}.warc{'.gz' if gz else ''}"
            offsets = write_warc(path, _pages(5), gz=gz)
            _with_content_length(path, offsets, 2, delta, gz)
            events = _events(path)
            assert _urls(events)[:2] == ["http://site.example/0", "http://site.example/1"]
            assert set(_urls(events)[-2:]) == {"http://site.example/3", "http://site.example/4"}, (gz, delta)
            # The lying record never passes as a page: it is Damage, or its block digest fails.
            lying = [e for e in events if e.offset == offsets[2]]
            assert lying and all(isinstance(e, Damage) or e.digest_ok is False for e in lying), (gz, delta, lying)


def test_an_empty_file_has_no_records_and_a_file_that_is_not_a_warc_is_one_damage(tmp_path):
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    assert _events(empty) == []
    text = tmp_path / "notes.warc"
    text.write_bytes(b"these are my notes, not a crawl\n" * 100)
    [damage] = _events(text)
    assert isinstance(damage, Damage) and damage.offset == 0 and "3200 bytes" in damage.problem


def test_garbage_between_records_is_skipped_with_its_extent(tmp_path):
    path = tmp_path / "crawl.warc"
    offsets = write_warc(path, _pages(3), gz=False)
    data = path.read_bytes()
    path.write_bytes(data[:offsets[1]] + b"JUNK" * 10 + b"\r\n" + data[offsets[1]:])
    events = _events(path)
    assert len(_urls(events)) == 3
    [damage] = [e for e in events if isinstance(e, Damage)]
    assert damage.offset == offsets[1] and "42 bytes skipped" in damage.problem


def test_a_record_over_the_block_limit_is_not_read(tmp_path):
    path = tmp_path / "big.warc.gz"
    big = "<html><body><pre>" + "x = 1\n" * 9_000_000 + "</pre></body></html>"  # 54 MB
    write_warc(path, [Response.html("http://big.example/", big), *_pages(1)])
    events = _events(path, limit=16 << 20)
    assert events[0].block is None and events[0].declared_length > 50_000_000
    assert _urls(events) == ["http://big.example/", "http://site.example/0"]
    assert isinstance(events[0], ResponseRecord) and not any(isinstance(e, (Damage, OtherRecord)) for e in events)
