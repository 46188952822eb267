"""Bad instruction files: every record is kept or a recorded drop with its line, or the file is a clear
error naming it and nothing is written. Nothing is lost silently."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc

import pyarrow as pa
import pytest

from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.sft_raw import count_instruction_records, run_sft_raw
from codelake.sft_raw.landing import InstructionSetError, find_instruction_set
from codelake.sft_raw.reader import jsonl_lines
from instructionfactory import chat, write_set

GOOD = chat("q", "a")


def _run(tmp_path, files):
    landing = tmp_path / "instructions"
    write_set(landing, "stage1", "bad", files)
    instruction_set = find_instruction_set(landing, "stage1.bad")
    lake = Lake(tmp_path / "lake")
    return lake, instruction_set, run_sft_raw(lake, instruction_set)


def _drops(lake):
    con = connect(lake)
    try:
        return con.execute("SELECT path, reason, detail FROM lineage WHERE stage = 'sft_raw' ORDER BY path").fetchall()
    finally:
        con.close()


def test_malformed_lines_are_recorded_with_their_number_and_the_rest_is_read(tmp_path):
    lines = [json.dumps(GOOD), '{"messages": [', "not json at all", json.dumps(GOOD), '{"prompt": "p", "completion": "c"} trailing', json.dumps(GOOD)]
    lake, instruction_set, report = _run(tmp_path, {"a.jsonl": lines})
    assert report.rows_kept == 3 and report.drops_by_reason == {"malformed_json": 3}
    assert [(p, r) for p, r, _ in _drops(lake)] == [("a.jsonl:2", "malformed_json"), ("a.jsonl:3", "malformed_json"), ("a.jsonl:5", "malformed_json")]
    assert "line 5, column" in _drops(lake)[2][2]
    assert count_instruction_records(instruction_set) == report.rows_in == 6


def test_non_utf8_lines_and_mixed_formats_in_one_file(tmp_path):
    data = (json.dumps(GOOD) + "\n").encode() + b'{"prompt": "caf\xe9", "completion": "x"}\n' + (
        json.dumps({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}) + "\n"
        + json.dumps({"instruction": "i", "output": "o"}) + "\n" + json.dumps({"prompt": "p", "completion": "c"}) + "\n").encode()
    lake, _, report = _run(tmp_path, {"mixed.jsonl": data, "more.jsonl.gz": gzip.compress((json.dumps(GOOD) + "\n").encode())})
    assert report.rows_kept == 5 and report.drops_by_reason == {"invalid_utf8": 1}
    assert {f["format"]: f["records"] for f in report.tables["formats"]} == {"messages": 2, "conversations": 1, "alpaca": 1, "prompt_completion": 1}
    path, reason, detail = _drops(lake)[0]
    assert (path, reason) == ("mixed.jsonl:2", "invalid_utf8") and "\\xe9" in detail


def test_parquet_with_the_wrong_schema_drops_every_row_with_the_reason(tmp_path):
    wrong = pa.table({"question": ["a", "b", "c"], "answer": ["1", "2", "3"]})
    lake, instruction_set, report = _run(tmp_path, {"wrong.parquet": wrong, "ok.jsonl": [GOOD]})
    assert report.rows_kept == 1 and report.drops_by_reason == {"wrong_schema": 3}
    drops = _drops(lake)
    assert [p for p, _, _ in drops] == ["wrong.parquet:1", "wrong.parquet:2", "wrong.parquet:3"]
    assert "answer, question" in drops[0][2] and count_instruction_records(instruction_set) == 4


def test_an_unreadable_file_is_a_clear_error_and_nothing_is_written(tmp_path):
    with pytest.raises(InstructionSetError, match=r"broken\.parquet: not a readable Parquet file"):
        _run(tmp_path, {"ok.jsonl": [GOOD], "broken.parquet": b"PAR1 this is not parquet"})
    assert not Lake(tmp_path / "lake").exists("sft_raw")
    with pytest.raises(InstructionSetError, match=r"a\.json: a \.json file must hold one array"):
        _run(tmp_path, {"a.json": b'{"messages": []}'})


def test_a_1gb_line_is_skipped_streaming_and_the_next_line_is_read(tmp_path):
    landing = tmp_path / "instructions"
    folder = write_set(landing, "stage1", "huge", {})
    path = folder / "huge.jsonl"
    with open(path, "wb") as out:  # a 1 GiB line (a sparse run of NUL bytes: no disk used), then a good record
        out.write(b'{"prompt": "')
        out.seek(1 << 30, os.SEEK_CUR)
        out.write(b'"}\n' + json.dumps(GOOD).encode() + b"\n")
    tracemalloc.start()
    lake = Lake(tmp_path / "lake")
    report = run_sft_raw(lake, find_instruction_set(landing, "stage1.huge"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.rows_kept == 1 and report.drops_by_reason == {"oversized": 1}
    assert peak < 64 << 20, f"peak {peak / 1e6:.0f} MB: the line was held in memory"
    path_, reason, detail = _drops(lake)[0]
    assert (path_, reason) == ("huge.jsonl:1", "oversized") and str(len(b"{\"prompt\": \"") + (1 << 30) + len(b"\"}")) in detail


def test_line_splitting_keeps_numbers_across_chunks_and_blank_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"a\n\n  \n" + b"b" * (3 << 20) + b"\nc")
    assert [(n, line[:1] if line else None, size) for n, line, size in jsonl_lines(path, 1 << 20)] == [(1, b"a", 1), (4, None, 3 << 20), (5, b"c", 1)]
