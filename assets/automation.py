"""When the whole-lake stages run by themselves: once the dumps that landed together are ingested, once.

Evaluated by `sensors.automation.code_automation_sensor` (running by default).

`exact_dedup`, the first stage over every dump, uses `after_dumps_ingested()`: Dagster's
`AutomationCondition.eager()` has two traps behind a per-dump asset that this condition avoids.

- eager clears a pending upstream update when the stage is requested *or* updated, and an update
  seen on the same tick as the clearing is dropped (its `any_deps_updated` carries no timestamp to
  compare). A dump ingested in the ~30 s after the stage was requested, or while it was running (it
  reads raw_files pinned at its start), would then never reach the corpus. Here the pending flag is
  cleared by a request only, and `newly_updated` keeps the materialization timestamps, so an update
  newer than the request survives the tie.
- eager waits for every upstream partition to exist: one dump whose ingestion failed would hold the
  whole lake back for good. Here only a registered dump not ingested *yet* holds it back.

Kept from eager: nothing starts while any dump's raw_files run (queued or running) or the stage
itself is in progress, and all updates pending since the last request collapse into one request: a
burst of dumps ingested together gives one run.

The stages below exact_dedup use `after_upstream_stage()`: eager's rule that a dependency requested on
the same tick counts as updated (so the whole chain goes in one run, and the chain's own updates do not
re-trigger it), but, as above, cleared by a request only: eager would also clear it when the stage's
previous run ends on that tick, and exact_dedup would then run alone, its downstream one tick later.
"""

from __future__ import annotations

from dagster import AutomationCondition


def _a_dump_ingested_since_requested() -> AutomationCondition:
    # Both operands bare (no &, |, label inside): Since can then order a same-tick update and request by time.
    return AutomationCondition.any_deps_match(AutomationCondition.newly_updated()).since(AutomationCondition.newly_requested())


def _a_dump_not_ingested_yet() -> AutomationCondition:
    # Registered but never run (its run is being created) holds the stage back; a failed run does not.
    return AutomationCondition.any_deps_match(AutomationCondition.missing() & ~AutomationCondition.execution_failed()).with_label(
        "a_dump_not_ingested_yet"
    )


def after_dumps_ingested() -> AutomationCondition:
    """exact_dedup's condition: a dump was ingested since the last request, and no ingestion is pending."""
    return (
        _a_dump_ingested_since_requested().with_label("a_dump_ingested_since_requested")
        & ~_a_dump_not_ingested_yet()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("after_dumps_ingested")


def after_upstream_stage() -> AutomationCondition:
    """The condition of every stage below exact_dedup: its upstream stage was updated (or is requested
    on this tick) since it was last requested, and nothing above or in it is missing or in progress."""
    return (
        AutomationCondition.any_deps_updated().since(AutomationCondition.newly_requested()).with_label("upstream_updated_since_requested")
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("after_upstream_stage")
