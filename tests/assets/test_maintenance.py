"""The lake_maintenance job through Dagster: compaction then vacuum on a real lake; its schedule ships off."""

from __future__ import annotations

from dagster import DagsterInstance, DefaultScheduleStatus

from assets.maintenance import lake_maintenance_job, lake_maintenance_schedule
from codelake.lake import Lake
from definitions import defs
from resources import LakeResource
from smallfilesfactory import add_dump, data_files, table_rows, three_dumps


def test_the_dagster_job_compacts_then_vacuums_and_the_schedule_is_off_until_turned_on(tmp_path):
    lake = Lake(tmp_path / "lake")
    add_dump(lake, three_dumps(tmp_path / "landing")[0])
    rows, files = table_rows(lake, "transformed"), data_files(lake, "transformed")
    config = {"ops": {"lake_maintenance_op": {"config": {"tables": ["transformed"], "delete": True, "retain_hours": 0, "force": True}}}}
    result = lake_maintenance_job.execute_in_process(run_config=config, instance=DagsterInstance.ephemeral(),
                                                     resources={"lake": LakeResource(root=str(lake.root))})
    assert result.success
    done = result.output_for_node("lake_maintenance_op")["transformed"]
    assert done["files_before"] == files > done["files_after"] == data_files(lake, "transformed") == 1
    assert done["vacuum_deleted"] and done["vacuum_files"] == files  # the small files only the old version read
    assert table_rows(lake, "transformed") == rows
    assert lake_maintenance_schedule.default_status == DefaultScheduleStatus.STOPPED
    assert defs.get_job_def("lake_maintenance") and lake_maintenance_schedule in defs.schedules
