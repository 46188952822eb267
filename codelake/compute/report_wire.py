"""A StageReport as JSON and back: how a stage run on a cluster hands its counts to the Dagster asset
(the asset then writes the same metadata and runs the same checks as after a local run)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import fields

from codelake.report import StageReport

_COUNTERS = {f.name for f in fields(StageReport) if f.type in ("Counter", Counter)}


def report_to_json(report: StageReport) -> str:
    # Not dataclasses.asdict: it rebuilds a Counter from (key, value) pairs, counting the pairs.
    return json.dumps({f.name: dict(getattr(report, f.name)) if f.name in _COUNTERS else getattr(report, f.name) for f in fields(StageReport)},
                      default=str)


def report_from_json(text: str) -> StageReport:
    raw = json.loads(text)
    known = {f.name for f in fields(StageReport)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"stage report has fields this codelake does not know: {sorted(unknown)} (different codelake versions on the cluster and here?)")
    return StageReport(**{k: Counter(v) if k in _COUNTERS else v for k, v in raw.items()})
