"""What every benchmark run records beside its figures: load average before and after (the machines are
shared, so a figure means little without it), cores, time, Python; and where its JSON goes."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Callable


def stamp_run(result: dict, load_before: tuple[float, float, float]) -> dict:
    """`result` with the run's context added: load average before/after, cpus, when, python."""
    result.update(load_average={"before": load_before, "after": os.getloadavg()}, cpus=os.cpu_count(),
                  when=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), python=platform.python_version())
    return result


def load_line(result: dict) -> str:
    load = result["load_average"]
    return f"load average before {load['before'][0]:.1f}, after {load['after'][0]:.1f} on {result['cpus']} CPUs"


def save_result(results_dir: Path, name: str, result: dict) -> Path:
    """Write `result` as results_dir/<name>-<UTC stamp>.json and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"{name}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out


def publish(results_dir: Path, name: str, result: dict, load_before: tuple[float, float, float], report: Callable[[dict], str]) -> Path:
    """The end of every benchmark run: stamp `result` with the run's context, print `report(result)`, save it."""
    stamp_run(result, load_before)
    print(report(result))
    out = save_result(results_dir, name, result)
    print(f"results: {out}")
    return out
