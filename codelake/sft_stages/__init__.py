"""sft_stage1 / sft_stage2: stage rules, exact and near-duplicate removal, chat files for the trainer."""

from codelake.sft_stages.rules import NEAR_DEDUP_RULES, STAGES_RULES, StageRules
from codelake.sft_stages.stage import STAGE_SCHEMA, run_sft_stage

__all__ = ["NEAR_DEDUP_RULES", "STAGES_RULES", "STAGE_SCHEMA", "StageRules", "run_sft_stage"]
