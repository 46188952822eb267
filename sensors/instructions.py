from __future__ import annotations

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.sft import instruction_sets, sft_raw
from codelake.sft_raw import default_instructions_landing, scan_instructions
from sensors.interval import sensor_interval_seconds


@sensor(target=[sft_raw], minimum_interval_seconds=sensor_interval_seconds(), default_status=DefaultSensorStatus.RUNNING)
def instruction_sensor(context: SensorEvaluationContext):
    """Registers every completely copied instruction set ($CODELAKE_HOME/landing/instructions/<stage1|stage2>/<name>/
    with manifest.json and _SUCCESS) as an `instruction_sets` partition `<stage>.<name>` and requests its
    sft_raw run. A set still being copied waits; a registered set is never re-added."""
    landing = default_instructions_landing()
    ready, waiting = scan_instructions(landing)
    for entry in waiting:
        context.log.info(f"not yet: {entry.path}: {entry.why}")
    known = set(context.instance.get_dynamic_partitions(instruction_sets.name))
    new = [s for s in ready if s.key not in known]
    if not new:
        return SkipReason(f"no new complete instruction sets in {landing} ({len(waiting)} waiting)")
    return SensorResult(
        run_requests=[RunRequest(partition_key=s.key, run_key=f"instruction_set:{s.key}") for s in new],
        dynamic_partitions_requests=[instruction_sets.build_add_request([s.key for s in new])],
    )
