"""When a whole-lake stage runs by itself: once the dumps that landed together are ingested, once.

Evaluated by `sensors.automation.code_automation_sensor` (running by default). The condition is
`AutomationCondition.eager()` with two changes that matter for a stage reading the whole lake behind
the per-dump `raw_files`:

- eager forgets an upstream update when the stage's own materialization ends, even one that arrived
  while the stage was running; our stages read the upstream version pinned at their start, so that
  dump would never reach them. Here a pending update is cleared only when the stage is requested again.
- eager waits for every upstream partition to exist, so one dump whose ingestion failed would hold the
  whole lake back for good. Here only a registered dump not ingested *yet* holds it back.

What stays from eager: nothing runs while any upstream run (any dump's `raw_files`) or the stage itself
is in progress, and all updates pending since the last request collapse into one request, so a burst
of dumps ingested together gives one run of each whole-lake stage. Stages chained below one another
are requested together in that one run (a dependency requested on the same tick counts as updated).
"""

from __future__ import annotations

from dagster import AutomationCondition


def _requested_since_pending_update() -> AutomationCondition:
    # The reset is the request only (eager also resets on the stage's own update: see the module doc).
    requested = (AutomationCondition.newly_requested() | AutomationCondition.initial_evaluation()).with_label("requested")
    return (AutomationCondition.newly_missing() | AutomationCondition.any_deps_updated()).since(requested).with_label(
        "upstream_updated_since_requested"
    )


def _any_dep_not_yet_ingested() -> AutomationCondition:
    # A partition that was registered but has never run holds the stage back; one whose run failed does not.
    return AutomationCondition.any_deps_match(
        AutomationCondition.missing() & ~AutomationCondition.execution_failed() & ~AutomationCondition.will_be_requested()
    ).with_label("any_deps_not_yet_ingested")


def after_upstream_settles() -> AutomationCondition:
    """The automation condition of every whole-lake stage (exact_dedup onward)."""
    return (
        _requested_since_pending_update()
        & ~_any_dep_not_yet_ingested()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("after_upstream_settles")
