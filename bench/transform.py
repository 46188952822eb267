"""Throughput of the transform engine on real files from this machine (the Python standard library).

    python -m bench.transform [--files 2000] [--root DIR] [--show-kinds]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    rules = TransformRules.load()
    files = stdlib_files(args.files, args.root)
    run(files[:50], rules)  # warm-up
    print(run(files, rules))


if __name__ == "__main__":
    main()
