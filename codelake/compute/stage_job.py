"""The entry point of a data stage submitted as a Ray job (`python -m codelake.compute.stage_job SPEC`).

It runs on the cluster as the stage's driver: the registered stage (codelake.registry) over the lake
named in SPEC, with every batch map on Ray tasks (RayExecutor), then reports the StageReport back to
Dagster over Pipes (the job's log stream). SPEC is JSON: {"stage", "lake_root", "storage_options",
"options"}; options are StageOptions' plain fields. The lake's secrets come from the cluster's
environment, never from SPEC.
"""

from __future__ import annotations

import json
import sys
import time

from codelake.compute.executor import RayExecutor, running_on
from codelake.compute.report_wire import report_to_json
from codelake.lake import Lake
from codelake.registry import StageOptions, stage

REPORT_KEY = "codelake_stage_report"
# StageOptions fields that travel (callables and connections stay on the submitting side).
SPEC_OPTIONS = ("input", "preset", "workers", "batch_rows", "rules", "seed", "upstream_version", "extra")


def job_spec(name: str, lake_root: str, storage_options: dict[str, str], options: StageOptions) -> str:
    return json.dumps({"stage": name, "lake_root": lake_root, "storage_options": storage_options,
                       "options": {k: getattr(options, k) for k in SPEC_OPTIONS}})


def _progress(log, every_seconds: float = 10.0):
    last = [time.monotonic()]

    def report(files: int, nbytes: int | None = None) -> None:
        if time.monotonic() - last[0] >= every_seconds:
            last[0] = time.monotonic()
            log.info(f"{files} files" + (f", {nbytes / 1e6:.1f} MB read" if nbytes is not None else " done"))

    return report


def run_spec(spec: dict, log) -> str:
    lake = Lake(spec["lake_root"], spec.get("storage_options") or None)
    options = StageOptions(**spec.get("options", {}), progress=_progress(log))
    with running_on(RayExecutor()):
        report = stage(spec["stage"]).run(lake, options)
    log.info(report.summary())
    return report_to_json(report)


def main(argv: list[str] | None = None) -> int:
    from dagster_pipes import open_dagster_pipes

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m codelake.compute.stage_job '<json spec>'", file=sys.stderr)
        return 2
    spec = json.loads(argv[0])
    with open_dagster_pipes() as pipes:
        report = run_spec(spec, pipes.log)
        pipes.report_asset_materialization(metadata={REPORT_KEY: {"raw_value": report, "type": "text"}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
