"""The codelake Dagster code location: every asset, check, sensor and resource."""

from dagster import Definitions, define_asset_job

from assets.code import code_corpus, exact_dedup, filter_signals, filtered, fuzzy_dedup, raw_files, transformed
from assets.lifecycle import retire_dump_job
from assets.sft import SFT_ASSETS
from assets.training import annealed_checkpoint, annealing_shards, evaluation, pretrain_checkpoint, pretrain_shards, sft_checkpoint, tokenizer
from resources import resources_for_deployment
from sensors.automation import code_automation_sensor
from sensors.code_dumps import code_dump_sensor
from sensors.instructions import instruction_sensor

defs = Definitions(
    assets=[
        *(raw_files, exact_dedup, fuzzy_dedup, transformed, filter_signals, filtered, code_corpus),
        *(tokenizer, pretrain_shards, annealing_shards, pretrain_checkpoint, annealed_checkpoint, sft_checkpoint, evaluation),
        *SFT_ASSETS,
    ],
    sensors=[code_dump_sensor, code_automation_sensor, instruction_sensor],
    jobs=[define_asset_job("dedup_job", selection=[exact_dedup, fuzzy_dedup]), retire_dump_job],
    resources=resources_for_deployment(),
)
