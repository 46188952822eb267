from __future__ import annotations

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.partitions import web_dumps
from assets.web import web_pages
from resources.landing_zone import LandingZoneResource
from sensors.interval import sensor_interval_seconds


@sensor(target=[web_pages], minimum_interval_seconds=sensor_interval_seconds(), default_status=DefaultSensorStatus.RUNNING)
def web_dump_sensor(context: SensorEvaluationContext, landing_zone: LandingZoneResource):
    """Registers every completely copied web dump in the web landing zone (a `.warc` / `.warc.gz` file
    unchanged for the settle time, or a folder of them with `_SUCCESS`) as a `web_dumps` partition and
    requests its web_pages run. A registered dump is never re-added (its name is the partition key and
    the run key)."""
    ready, skipped = landing_zone.scan_web()
    for entry in skipped:
        context.log.info(f"not yet: {entry.path}: {entry.why}")
    known = set(context.instance.get_dynamic_partitions(web_dumps.name))
    new = [d for d in ready if d.name not in known]
    if not new:
        return SkipReason(f"no new complete web dumps in {landing_zone.web_path} ({len(skipped)} waiting)")
    return SensorResult(
        run_requests=[RunRequest(partition_key=d.name, run_key=f"web_dump:{d.name}") for d in new],
        dynamic_partitions_requests=[web_dumps.build_add_request([d.name for d in new])],
    )
