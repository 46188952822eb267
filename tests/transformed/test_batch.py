"""transform_batch: same batch with text transformed, one change record per changed document."""

from __future__ import annotations

import json

import pyarrow as pa

from codelake.transformed import TransformRules, transform_batch

SECRET = "ghp_" + "Zq8Lw3Rt9Vx2Nm5Kp7Hj4Fd6Sa1Gb0CeYu8T"  # 36 characters after the prefix


def _batch() -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "doc_id": ["a", "b", "c"],
            "dump": ["d1", "d1", "d1"],
            "repo": ["o/r", "o/r", "o/r"],
            "path": ["a.py", "b.c", "c.go"],
            "language": ["Python", "C", "Go"],
            "size": [1, 2, 3],
            "text": [
                f'# Copyright 2020 Acme\n\nTOKEN = "{SECRET}"\nmail = "jane.roe@acme-corp.io"\n',
                "int main(void) { return 0; }\n",
                "package main\n",
            ],
        }
    )


def test_batch_maps_text_and_records_changed_docs_only():
    batch = _batch()
    out, records = transform_batch(batch, TransformRules.load())
    assert out.schema == batch.schema
    assert out.column("doc_id").to_pylist() == ["a", "b", "c"]
    assert out.column("size").to_pylist() == [1, 2, 3]
    texts = out.column("text").to_pylist()
    assert texts[0] == 'TOKEN = "<KEY>"\nmail = "<EMAIL>"\n'
    assert texts[1:] == batch.column("text").to_pylist()[1:]
    assert len(records) == 1
    rec = records[0]
    assert rec["doc_id"] == "a" and rec["reason"] == "transformed" and rec["action"] == "change"
    assert (rec["dump"], rec["repo"], rec["path"]) == ("d1", "o/r", "a.py")
    assert json.loads(rec["detail"]) == {"copyright_header": 1, "email": 1, "key": 1}
    # never the secret itself
    assert SECRET not in json.dumps(records) and "jane.roe" not in json.dumps(records)


def test_unchanged_batch_has_no_records():
    batch = _batch().slice(1)
    out, records = transform_batch(batch)
    assert records == []
    assert out.equals(batch)


def test_minimal_columns_and_nulls():
    batch = pa.RecordBatch.from_pydict({"doc_id": ["x", "y"], "language": ["Python", None], "text": [None, "ip 52.14.201.7\n"]})
    out, records = transform_batch(batch)
    assert out.column("text").to_pylist() == [None, "ip <IP_ADDRESS>\n"]
    assert records == [{"doc_id": "y", "action": "change", "reason": "transformed", "detail": '{"ip_address":1}'}]
