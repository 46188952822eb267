"""Small real instruction sets written on the fly: a folder per set with manifest.json and _SUCCESS."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def write_set(landing: Path, stage: str, name: str, files: dict[str, list | bytes | pa.Table], source: str = "test-source",
              license: str | None = "MIT", complete: bool = True, language: str | None = None) -> Path:
    """`files`: name -> list of records (JSONL: one JSON line each, a str is written as the raw line),
    bytes (written as they are) or an Arrow table (Parquet)."""
    folder = landing / stage / name
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"source": source, "license": license, "stage": stage}
    if language:
        manifest["language"] = language
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for file, content in files.items():
        path = folder / file
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pa.Table):
            pq.write_table(content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in content), encoding="utf-8")
    if complete:
        (folder / "_SUCCESS").write_text("")
    return folder


def chat(user: str, answer: str, system: str | None = None) -> dict:
    turns = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {"messages": turns}


def python_answer(code: str, prose: str = "Here it is:") -> str:
    return f"{prose}\n\n```python\n{code}\n```\n"
