"""Small lakes with many small data files, as a Ray cluster writes them: three dumps of real stdlib files
through raw_files .. transformed, `transformed` with a file per batch. For the lake-maintenance tests."""

from __future__ import annotations

import os
from pathlib import Path

from codelake.compute import running_on
from codelake.lake import Lake
from codelake.registry import StageOptions, stage
from codelake.transformed.stage import run_transformed
from dumpfactory import MANIFEST, manifest, write_dir_dump
from executorfactory import ShippingExecutor

STDLIB = Path(os.__file__).parent


def _dump(root: Path, owner: str, names: list[str]) -> Path:
    files = {f"lib/{name}": (STDLIB / name).read_bytes() for name in names}
    files["lib/contact.py"] = f"# Contact: {owner}.smith@mailbox.org\nVERSION = 1\n".encode()  # a PII change in the lineage
    return write_dir_dump(root / f"dump-{owner}", {f"{owner}__lib": {MANIFEST: manifest(f"{owner}/lib"), **files}})


def three_dumps(landing: Path) -> list[Path]:
    return [_dump(landing, "ann", ["colorsys.py", "keyword.py"]), _dump(landing, "bob", ["bisect.py", "shlex.py"]),
            _dump(landing, "cid", ["sched.py", "glob.py"])]


def add_dump(lake: Lake, dump: Path) -> dict:
    """The dump through the chain; `transformed` as on a Ray cluster, where each task writes its batch's own
    file (one file per batch of one row here): the small files compaction is for."""
    stage("raw_files").run(lake, StageOptions(input=str(dump)))
    reports = {name: stage(name).run(lake, StageOptions(workers=1, preset="jaccard-0.8")) for name in ("exact_dedup", "fuzzy_dedup")}
    with running_on(ShippingExecutor()):
        reports["transformed"] = run_transformed(lake, workers=1, batch_rows=1)
    return reports


def table_rows(lake: Lake, name: str, version: int | None = None) -> list[tuple]:
    table = lake.dataset(name, version).to_table()
    return sorted(tuple(str(v) for v in row.values()) for row in table.select(sorted(table.column_names)).to_pylist())


def data_files(lake: Lake, name: str) -> int:
    return len(lake.table(name).file_uris())
