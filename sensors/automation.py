"""The sensor that evaluates the assets' automation conditions, running by default.

Without it Dagster adds `default_automation_condition_sensor`, which starts STOPPED: the conditions on
exact_dedup onward were never evaluated, so a landed dump stopped at raw_files.

It targets whole groups. An asset is run by it only when it is in one of AUTOMATED_GROUPS *and* has an
automation condition; assets without one (raw_files: started by code_dump_sensor; training
checkpoints: expensive, launched by hand) are never requested. A later branch opts in by giving its
assets an automation condition and adding its group here (the web branch: web_text and the recall
follow web_pages, which web_dump_sensor starts).

`CODELAKE_AUTOMATION=off` in the environment of `dagster dev` / the daemon makes it start STOPPED (runs
then only start by hand); a state set in the UI or with `dagster sensor start|stop` takes precedence.
"""

from __future__ import annotations

import os

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

from sensors.interval import sensor_interval_seconds

AUTOMATED_GROUPS = ("code", "web")
ENV = "CODELAKE_AUTOMATION"


def automation_default_status() -> DefaultSensorStatus:
    value = os.environ.get(ENV, "on").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"${ENV}={value!r} must be 'on' or 'off'")
    return DefaultSensorStatus.RUNNING if value == "on" else DefaultSensorStatus.STOPPED


code_automation_sensor = AutomationConditionSensorDefinition(
    "code_automation_sensor",
    target=AssetSelection.groups(*AUTOMATED_GROUPS),
    default_status=automation_default_status(),
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Evaluates the automation conditions of the assets in the groups "
    f"{', '.join(AUTOMATED_GROUPS)}: after dumps are ingested, the whole-lake stages run once.",
)
