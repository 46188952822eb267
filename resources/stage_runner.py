"""Where the data stages run: in this process (their batch work on this machine's pool), or as a Ray job
on a cluster whose tasks do the batch work (dagster-ray's PipesRayJobClient; logs and the stage's report
come back over Dagster Pipes). Either way the stage is the same registered function
(codelake.registry) and the asset writes the same metadata and runs the same checks."""

from __future__ import annotations

import os
import shlex

from dagster import AssetExecutionContext, ConfigurableResource
from pydantic import Field

from codelake.compute.report_wire import report_from_json
from codelake.compute.stage_job import REPORT_KEY, job_spec
from codelake.registry import StageOptions, stage
from codelake.report import StageReport
from resources.lake import LakeResource

# The stages whose per-batch work is a map over shards of their input; the SQL stages (exact dedup,
# decisions, resampling) stay in the Dagster process.
RAY_STAGES = ("raw_files", "fuzzy_dedup", "transformed", "filter_signals")


class StageRunner(ConfigurableResource):
    """Runs the data stages here, or, with `ray_address`, as Ray jobs on that cluster."""

    ray_address: str | None = Field(default=None, description="The Ray dashboard (jobs API), e.g. http://ray-head:8265; unset: run here")
    python: str = Field(default="python", description="The interpreter with codelake installed, as the Ray head runs it")
    ray_auth_token: bool = Field(default=False, description="The cluster uses Ray token auth (the token from $RAY_AUTH_TOKEN or ~/.ray/auth_token)")
    poll_seconds: float = Field(default=1.0, description="How often the job's state is polled")

    def runs_on_ray(self, name: str) -> bool:
        return bool(self.ray_address) and name in RAY_STAGES

    def run(self, context: AssetExecutionContext, name: str, lake: LakeResource, options: StageOptions) -> StageReport:
        if not self.runs_on_ray(name):
            return stage(name).run(lake.lake(), options)
        from dagster_ray.core.pipes import PipesRayJobClient

        if self.ray_auth_token:  # Ray's job client reads the auth mode from the environment only
            os.environ["RAY_AUTH_MODE"] = "token"
        spec = job_spec(name, lake.root, lake.storage_options, options)
        # A fresh client per run: one client reused for a second job loses that job's Pipes messages.
        client = PipesRayJobClient(address=self.ray_address, poll_interval=self.poll_seconds)
        invocation = client.run(
            context=context,
            submit_job_params={"entrypoint": f"{shlex.quote(self.python)} -m codelake.compute.stage_job {shlex.quote(spec)}"},
        )
        reported = invocation.get_materialize_result().metadata or {}
        if REPORT_KEY not in reported:
            raise RuntimeError(f"the Ray job of {name} ended without reporting its stage report over Dagster Pipes")
        return report_from_json(reported[REPORT_KEY].value)
