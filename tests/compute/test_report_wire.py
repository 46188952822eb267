"""A stage's report crosses from a Ray job to the asset as JSON and comes back equal."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from codelake.compute.report_wire import report_from_json, report_to_json
from codelake.report import StageReport


def test_a_report_round_trips_with_its_counters_and_tables():
    report = StageReport("transformed", version=3, lineage_version=7)
    report.kept("Python", 120)
    report.kept("C", 40)
    report.dropped("binary", 9)
    report.tables["changes"] = [{"kind": "email", "replaced": 2}]
    back = report_from_json(report_to_json(report))
    assert back == report
    assert isinstance(back.drops_by_reason, Counter) and back.rows_by_language["Python"] == 1 and back.bytes_dropped_by_reason["binary"] == 9


def test_a_report_from_another_codelake_version_is_refused():
    text = json.dumps({**json.loads(report_to_json(StageReport("x"))), "rows_sideways": 1})
    with pytest.raises(ValueError, match="rows_sideways"):
        report_from_json(text)
