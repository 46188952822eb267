"""What identifies a training run and what it tells the person looking at it.

The run key hashes everything that decides the result — the spec (preset, schedule, steps, batch, …),
the data (shard folder and table version), the tokenizer, the starting checkpoint and the code version —
so materializing again with the same inputs reuses the run's folder and resumes from its last
checkpoint, and changing any input starts a new run beside it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess

from codelake.settings import PROJECT_ROOT


def run_key(spec, provenance: dict) -> str:
    fields = {k: v for k, v in dataclasses.asdict(spec).items() if k != "checkpoints_path"}
    blob = json.dumps({"spec": fields, "provenance": provenance}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(PROJECT_ROOT), "status", "--porcelain"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def loss_chart(curve: list[dict], rows: int = 16, width: int = 40) -> str:
    """The loss curve as a markdown table with bars (about `rows` steps, evenly spaced, last included)."""
    if not curve:
        return "_no steps recorded_"
    stride = max(1, len(curve) // rows)
    picked = curve[::stride]
    if picked[-1] is not curve[-1]:
        picked.append(curve[-1])
    top = max(r["loss"] for r in curve) or 1.0
    lines = ["| step | loss | lr | tokens/s | |", "|---:|---:|---:|---:|---|"]
    for r in picked:
        bar = "█" * max(1, round(width * r["loss"] / top))
        lines.append(f"| {r['step']} | {r['loss']:.4f} | {r['lr']:.3g} | {r['tokens_per_s']:.0f} | {bar} |")
    return "\n".join(lines)
