from __future__ import annotations

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.code import raw_files
from assets.partitions import code_dumps
from resources.landing_zone import LandingZoneResource
from sensors.interval import sensor_interval_seconds


@sensor(target=[raw_files], minimum_interval_seconds=sensor_interval_seconds(), default_status=DefaultSensorStatus.RUNNING)
def code_dump_sensor(context: SensorEvaluationContext, landing_zone: LandingZoneResource):
    """Registers every completely copied dump in the code landing zone as a `code_dumps` partition and
    requests its raw_files run. A dump still being copied waits; a registered dump is never re-added
    (its name is the partition key and the run key)."""
    ready, skipped = landing_zone.scan()
    for entry in skipped:
        context.log.info(f"not yet: {entry.path}: {entry.why}")
    known = set(context.instance.get_dynamic_partitions(code_dumps.name))
    new = [d for d in ready if d.name not in known]
    if not new:
        return SkipReason(f"no new complete dumps in {landing_zone.path} ({len(skipped)} waiting)")
    return SensorResult(
        run_requests=[RunRequest(partition_key=d.name, run_key=f"code_dump:{d.name}") for d in new],
        dynamic_partitions_requests=[code_dumps.build_add_request([d.name for d in new])],
    )
