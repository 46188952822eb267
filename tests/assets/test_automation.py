"""The whole-lake stages' automation condition, evaluated tick by tick over the real definitions.

Runs are recorded in a Dagster instance the way the daemon records them (a run created for the asset
job emits its planned materializations; its events end it), so "in progress", "failed" and "updated by
the run" are Dagster's own notions, not a stub's. Nothing executes: only the condition is under test.
"""

from __future__ import annotations

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AutomationCondition,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    evaluate_automation_conditions,
)
from dagster._core.events import StepMaterializationData  # a materialization event inside a given run: no public constructor

from definitions import defs

RAW = AssetKey("raw_files")
WHOLE_LAKE = [AssetKey(k) for k in ("exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus")]


class Ticks:
    """Successive evaluations of the conditions, carrying the cursor like the sensor does."""

    def __init__(self, definitions: Definitions, instance: DagsterInstance):
        self.defs, self.instance, self.cursor = definitions, instance, None

    def requested(self) -> set[str]:
        result = evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=self.cursor)
        self.cursor = result.cursor
        requested = {k.to_user_string() for k in WHOLE_LAKE if result.get_num_requested(k)}
        assert result.get_num_requested(RAW) == 0, "raw_files is started by code_dump_sensor, never by a condition"
        assert result.total_requested == len(requested), "only whole-lake code stages are requested, each at most once per tick"
        return requested


def start_run(instance: DagsterInstance, keys: list[AssetKey], partition: str | None = None) -> DagsterRun:
    job = defs.resolve_implicit_job_def_def_for_assets(keys)
    return instance.create_run_for_job(
        job_def=job,
        asset_selection=set(keys),
        tags={"dagster/partition": partition} if partition else None,
        status=DagsterRunStatus.STARTED,
    )


def finish_run(instance: DagsterInstance, run: DagsterRun, keys: list[AssetKey], partition: str | None = None) -> None:
    for key in keys:
        materialized = StepMaterializationData(AssetMaterialization(asset_key=key, partition=partition))
        instance.report_dagster_event(
            DagsterEvent(DagsterEventType.ASSET_MATERIALIZATION.value, job_name=run.job_name, event_specific_data=materialized),
            run_id=run.run_id,
        )
    instance.report_dagster_event(DagsterEvent(DagsterEventType.RUN_SUCCESS.value, job_name=run.job_name), run_id=run.run_id)


def register(instance: DagsterInstance, *dumps: str) -> None:
    instance.add_dynamic_partitions("code_dumps", list(dumps))


def ingest(instance: DagsterInstance, dump: str) -> None:
    finish_run(instance, start_run(instance, [RAW], dump), [RAW], dump)


def all_stages() -> set[str]:
    return {k.to_user_string() for k in WHOLE_LAKE}


def lake_up_to_date(instance: DagsterInstance, ticks: Ticks, *dumps: str) -> None:
    """Dumps ingested and the whole chain materialized once, as after `make demo`."""
    register(instance, *dumps)
    for dump in dumps:
        ingest(instance, dump)
    assert ticks.requested() == set()  # first evaluation: history before it is not "new"
    finish_run(instance, start_run(instance, WHOLE_LAKE), WHOLE_LAKE)
    assert ticks.requested() == set()  # the chain's own materializations do not re-trigger it


def test_a_burst_of_dumps_runs_the_whole_lake_stages_once_after_the_last_ingest():
    instance = DagsterInstance.ephemeral()
    ticks = Ticks(defs, instance)
    lake_up_to_date(instance, ticks, "d0")

    register(instance, "d1", "d2", "d3")  # the sensor registers a burst and starts three raw_files runs
    runs = {d: start_run(instance, [RAW], d) for d in ("d1", "d2", "d3")}
    assert ticks.requested() == set()
    for dump in ("d1", "d2"):
        finish_run(instance, runs[dump], [RAW], dump)
    assert ticks.requested() == set(), "d3 is still being ingested"
    finish_run(instance, runs["d3"], [RAW], "d3")
    assert ticks.requested() == all_stages(), "the whole chain, once, on one tick"
    assert ticks.requested() == set()
    assert ticks.requested() == set()


@pytest.mark.parametrize("ticks_before_d2", [0, 2], ids=["on-the-tick-after-the-request", "later-while-running"])
def test_a_dump_ingested_while_the_chain_runs_is_not_lost(ticks_before_d2):
    instance = DagsterInstance.ephemeral()
    ticks = Ticks(defs, instance)
    lake_up_to_date(instance, ticks, "d0")
    register(instance, "d1")
    ingest(instance, "d1")
    assert ticks.requested() == all_stages()
    chain = start_run(instance, WHOLE_LAKE)  # reads raw_files as of d1
    for _ in range(ticks_before_d2):
        assert ticks.requested() == set()

    register(instance, "d2")
    ingest(instance, "d2")  # lands while the chain is running
    assert ticks.requested() == set(), "never while the stage itself is in progress"
    finish_run(instance, chain, WHOLE_LAKE)
    assert ticks.requested() == all_stages(), "d2 arrived after the chain pinned its input: it runs again"
    assert ticks.requested() == set()


@pytest.mark.parametrize("ticks_before_d2", [0, 2], ids=["on-the-tick-after-the-request", "later-while-running"])
def test_eager_would_lose_that_dump(ticks_before_d2):
    """Why exact_dedup does not use AutomationCondition.eager(): the same story ends with d2 never reaching it."""
    eager = Definitions(
        assets=[a.map_asset_specs(lambda s: s.replace_attributes(automation_condition=AutomationCondition.eager()) if s.key in WHOLE_LAKE else s)
                for a in defs.assets],
        resources=defs.resources,
    )
    instance = DagsterInstance.ephemeral()
    ticks = Ticks(eager, instance)
    lake_up_to_date(instance, ticks, "d0")
    register(instance, "d1")
    ingest(instance, "d1")
    assert ticks.requested() == all_stages()
    chain = start_run(instance, WHOLE_LAKE)
    for _ in range(ticks_before_d2):
        assert ticks.requested() == set()
    register(instance, "d2")
    ingest(instance, "d2")
    assert ticks.requested() == set()
    finish_run(instance, chain, WHOLE_LAKE)
    assert ticks.requested() == set()


def test_a_registered_dump_not_ingested_yet_holds_the_stages_back_a_failed_one_does_not():
    instance = DagsterInstance.ephemeral()
    ticks = Ticks(defs, instance)
    lake_up_to_date(instance, ticks, "d0")
    register(instance, "d1", "bad")
    ingest(instance, "d1")
    assert ticks.requested() == set(), "'bad' is registered but its raw_files run has not been created yet"
    bad = start_run(instance, [RAW], "bad")
    assert ticks.requested() == set()
    instance.report_run_failed(bad)  # e.g. a truncated archive: a clear error, nothing written
    assert ticks.requested() == all_stages(), "d1 reaches the corpus; the failed dump waits for a fix"
    assert ticks.requested() == set()


def test_a_manual_run_of_one_stage_brings_only_its_downstream_up_to_date():
    instance = DagsterInstance.ephemeral()
    ticks = Ticks(defs, instance)
    lake_up_to_date(instance, ticks, "d0")
    filtered = [AssetKey("filtered")]
    finish_run(instance, start_run(instance, filtered), filtered)  # e.g. a new threshold, re-decided by hand
    assert ticks.requested() == {"code_corpus"}
    assert ticks.requested() == set()


def test_an_empty_lake_starts_nothing():
    instance = DagsterInstance.ephemeral()
    ticks = Ticks(defs, instance)
    assert ticks.requested() == set()
    assert ticks.requested() == set()
