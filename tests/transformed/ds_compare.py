"""Our detectors against detect-secrets 1.5.0 on the labelled samples (pii_samples.py).

`python tests/transformed/ds_compare.py` prints the table; test_vs_detect_secrets.py asserts on it.
detect-secrets runs with its default plugin set (all 27 plugins) in two ways, results united:
- `scan_line` (its ad-hoc API), one line at a time. That mode turns on "eager search", in which the two
  high-entropy plugins fire on nearly every line (even on 2-character substrings), so from it only the
  specific plugins are counted;
- `scan_file` on the sample written to a temporary file: detect-secrets' normal mode, with its
  heuristic filters; its entropy-plugin hits are shown in their own column.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_samples import SAMPLE_LANGUAGE, TRAPS, provider_samples  # noqa: E402

from codelake.transformed import TransformRules, transform_text  # noqa: E402

ENTROPY_PLUGINS = {"Base64 High Entropy String", "Hex High Entropy String"}


def detect_secrets_types(text: str) -> set[str]:
    import os
    import tempfile

    from detect_secrets.core.scan import scan_file, scan_line
    from detect_secrets.settings import default_settings

    found: set[str] = set()
    with default_settings():
        for line in text.splitlines() or [text]:
            found.update(s.type for s in scan_line(line) if s.type not in ENTROPY_PLUGINS)
        fd, name = tempfile.mkstemp(suffix=".txt", prefix="ds-sample-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text + "\n")
            found.update(s.type for s in scan_file(name))
        finally:
            os.unlink(name)
    return found


@dataclass
class Row:
    label: str
    ours: bool  # our output lost the secret and holds the placeholder (samples) / changed the line (traps)
    ds_types: set[str]  # every detect-secrets plugin that fired

    @property
    def ds_specific(self) -> set[str]:
        return self.ds_types - ENTROPY_PLUGINS

    @property
    def ds(self) -> bool:
        return bool(self.ds_specific)


def compare_samples(rules: TransformRules | None = None) -> list[Row]:
    rules = rules or TransformRules.load()
    rows = []
    for provider, secret, line, placeholder in provider_samples():
        result = transform_text(line, SAMPLE_LANGUAGE.get(provider, "Python"), rules)
        ours = secret not in result.text and placeholder in result.text
        rows.append(Row(provider, ours, detect_secrets_types(line)))
    return rows


def compare_traps(rules: TransformRules | None = None) -> list[Row]:
    rules = rules or TransformRules.load()
    rows = []
    for label, language, line in TRAPS:
        changed = transform_text(line, language, rules).text != line
        rows.append(Row(label, changed, detect_secrets_types(line)))
    return rows


def table() -> str:
    samples, traps = compare_samples(), compare_traps()
    out = ["## Provider keys / PII (must be found)", "", "| sample | ours | detect-secrets specific plugins | detect-secrets entropy plugins (scan_file) |", "|---|---|---|---|"]
    for r in samples:
        out.append(f"| {r.label} | {'yes' if r.ours else 'NO'} | {', '.join(sorted(r.ds_specific)) or '-'} | {', '.join(sorted(r.ds_types & ENTROPY_PLUGINS)) or '-'} |")
    both = sum(r.ours and r.ds for r in samples)
    only_ours = sum(r.ours and not r.ds for r in samples)
    only_ds = sum(r.ds and not r.ours for r in samples)
    neither = sum(not r.ours and not r.ds for r in samples)
    out += ["", f"samples: {len(samples)}; found by both: {both}; only ours: {only_ours}; only detect-secrets: {only_ds}; neither: {neither}"]
    out += ["", "## False-positive traps (must stay untouched)", "", "| trap | ours changed it | detect-secrets flags |", "|---|---|---|"]
    for r in traps:
        out.append(f"| {r.label} | {'YES' if r.ours else 'no'} | {', '.join(sorted(r.ds_types)) or '-'} |")
    ds_fp_specific = sum(r.ds for r in traps)
    ds_fp_any = sum(bool(r.ds_types) for r in traps)
    out += ["", f"traps: {len(traps)}; changed by ours: {sum(r.ours for r in traps)}; flagged by detect-secrets: "
            f"{ds_fp_specific} by specific plugins, {ds_fp_any} counting the entropy plugins"]
    return "\n".join(out)


if __name__ == "__main__":
    print(table())
