"""Build the demo's text and math data from documents already on this machine.

    python -m demo.build_corpora --home DIR

* ``corpora/text/*.jsonl``  prose: the long descriptions of the installed Python packages
  (``*.dist-info/METADATA``) and the Markdown/README files under /usr/share/doc;
* ``corpora/math/*.jsonl``  the docstrings of the math modules (math, cmath, statistics, fractions,
  decimal, numpy.linalg, numpy.fft, numpy.polynomial and, when installed, scipy.special/stats/linalg);

The SFT data is built by the SFT assets (demo/build_instructions.py lands instruction sets; sft_stage1 and
sft_stage2 write corpora/sft/stage1|stage2).

These are real documents, not generated ones; they only stand in for the web text, math corpus and
instruction sets a real run brings. Deterministic: every listing is sorted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sysconfig
from email.parser import Parser
from pathlib import Path

MATH_MODULES = ["math", "cmath", "statistics", "fractions", "decimal", "numpy.linalg", "numpy.fft", "numpy.polynomial.polynomial",
                "scipy.special", "scipy.stats", "scipy.linalg"]


def _write_jsonl(path: Path, records: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    os.replace(tmp, path)
    return len(records)


def text_records(limit: int = 3000) -> list[dict]:
    records = []
    site = Path(sysconfig.get_paths()["purelib"])
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        message = Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"))
        body = message.get_payload()
        if isinstance(body, str) and len(body) > 500:
            records.append({"id": meta.parent.name, "text": body})
    for doc in sorted(Path("/usr/share/doc").rglob("*")):
        if doc.is_file() and (doc.suffix in (".md", ".rst") or doc.name.startswith("README")) and doc.suffix != ".gz" and doc.stat().st_size < 200_000:
            text = doc.read_text(encoding="utf-8", errors="replace")
            if len(text) > 300:
                records.append({"id": str(doc), "text": text})
    return records[:limit]


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def math_records() -> list[dict]:
    records = []
    for name in MATH_MODULES:
        module = _import(name)
        if module is None:
            continue
        if module.__doc__ and len(module.__doc__) > 80:
            records.append({"id": name, "text": module.__doc__})
        for attr in sorted(dir(module)):
            doc = getattr(getattr(module, attr, None), "__doc__", None)
            if isinstance(doc, str) and len(doc) > 80 and not attr.startswith("_"):
                records.append({"id": f"{name}.{attr}", "text": doc})
    unique = {r["text"]: r for r in records}  # aliases share a docstring
    return sorted(unique.values(), key=lambda r: r["id"])


def build_corpora(home: Path) -> dict[str, int]:
    corpora = home / "corpora"
    return {
        "text": _write_jsonl(corpora / "text" / "demo-text.jsonl", text_records()),
        "math": _write_jsonl(corpora / "math" / "demo-math.jsonl", math_records()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="$CODELAKE_HOME: corpora/ is written under it")
    counts = build_corpora(parser.parse_args(argv).home)
    print(", ".join(f"{k}: {v} records" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
