"""The sensor that evaluates the assets' automation conditions, running by default.

Without it Dagster adds `default_automation_condition_sensor`, which starts STOPPED: the conditions on
exact_dedup onward were never evaluated, so a landed dump stopped at raw_files.

It targets whole groups. An asset is run by it only when it is in one of AUTOMATED_GROUPS *and* has an
automation condition; assets without one (raw_files: started by code_dump_sensor; training
checkpoints: expensive, launched by hand) are never requested. A later branch opts in by giving its
assets an automation condition and adding its group here.
"""

from __future__ import annotations

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

from sensors.interval import sensor_interval_seconds

AUTOMATED_GROUPS = ("code",)

code_automation_sensor = AutomationConditionSensorDefinition(
    "code_automation_sensor",
    target=AssetSelection.groups(*AUTOMATED_GROUPS),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Evaluates the automation conditions of the assets in the groups "
    f"{', '.join(AUTOMATED_GROUPS)}: after dumps are ingested, the whole-lake stages run once.",
)
