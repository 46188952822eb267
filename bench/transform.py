"""Throughput of the transform engine on real files from this machine (the Python standard library),
as a ratio to detect-secrets (the peer tool for the secrets part) scanning the same files in the same run.

    python -m bench.transform [--files 2000] [--root DIR]

codelake's engine does more per file than the baseline: copyright/license headers, emails, IP addresses
and 34 secret detectors, and it rewrites the text; detect-secrets (1.5.0, its default 27 plugins,
`scan_file`, its normal mode with heuristic filters) only reports secrets. Both run in this process,
one file at a time, after a warm-up.
"""

from __future__ import annotations

import argparse
import sysconfig
import time
from collections import Counter
from pathlib import Path

from codelake.transformed.engine import transform_text
from codelake.transformed.rules import TransformRules


def stdlib_files(limit: int, root: Path | None = None) -> list[tuple[str, str]]:
    root = root or Path(sysconfig.get_paths()["stdlib"])
    out = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            out.append((str(path), path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
        if len(out) >= limit:
            break
    return out


def run(files: list[tuple[str, str]], rules: TransformRules, language: str = "Python") -> dict:
    total = sum(len(t.encode()) for _, t in files)
    changed = 0
    kinds: Counter = Counter()
    start = time.perf_counter()
    for _, text in files:
        result = transform_text(text, language, rules)
        if result.changes:
            changed += 1
            kinds.update(result.changes)
    seconds = time.perf_counter() - start
    return {"files": len(files), "mb": total / 1e6, "seconds": seconds, "mb_per_s": total / 1e6 / seconds,
            "files_per_s": len(files) / seconds, "changed_files": changed, "changes": dict(kinds)}


def run_detect_secrets(files: list[tuple[str, str]]) -> dict:
    """detect-secrets' normal scan of the same files (read from disk, as it does)."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    total = sum(len(t.encode()) for _, t in files)
    found = 0
    with default_settings():
        start = time.perf_counter()
        for path, _ in files:
            found += sum(1 for _ in scan_file(path))
        seconds = time.perf_counter() - start
    return {"files": len(files), "mb": total / 1e6, "seconds": seconds, "mb_per_s": total / 1e6 / seconds,
            "files_per_s": len(files) / seconds, "secrets_reported": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    try:
        import detect_secrets  # noqa: F401
    except ImportError:
        raise SystemExit("bench.transform needs detect-secrets (the test extras: `make install`)") from None
    rules = TransformRules.load()
    files = stdlib_files(args.files, args.root)
    run(files[:50], rules)  # warm-up
    run_detect_secrets(files[:50])
    ours, peer = run(files, rules), run_detect_secrets(files)
    for name, r in (("codelake transform", ours), ("detect-secrets scan", peer)):
        print(f"{name:20s} {r['files']:6,} files {r['mb']:7.1f} MB {r['seconds']:7.2f}s {r['mb_per_s']:7.2f} MB/s {r['files_per_s']:8.0f} files/s")
    print(f"codelake changed {ours['changed_files']:,} files ({ours['changes']}); detect-secrets reported {peer['secrets_reported']:,} secrets")
    print(f"speed ratio codelake / detect-secrets: {ours['mb_per_s'] / peer['mb_per_s']:.2f}x")


if __name__ == "__main__":
    main()
