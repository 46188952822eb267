"""The codelake Dagster code location: every asset, check, sensor and resource."""

from dagster import Definitions, define_asset_job

from assets.annealing import ANNEALING_ASSETS
from assets.code import code_corpus, exact_dedup, filter_signals, filtered, fuzzy_dedup, raw_files, transformed
from assets.lifecycle import retire_dump_job
from assets.maintenance import lake_maintenance_job, lake_maintenance_schedule
from assets.sft import SFT_ASSETS
from assets.web import WEB_ASSETS
from assets.training import annealed_checkpoint, annealing_shards, evaluation, pretrain_checkpoint, pretrain_shards, sft_checkpoint, tokenizer
from resources import resources_for_deployment
from sensors.automation import code_automation_sensor
from sensors.code_dumps import code_dump_sensor
from sensors.web_dumps import web_dump_sensor
from sensors.instructions import instruction_sensor

defs = Definitions(
    assets=[
        *(raw_files, exact_dedup, fuzzy_dedup, transformed, filter_signals, filtered, code_corpus),
        *(tokenizer, pretrain_shards, annealing_shards, pretrain_checkpoint, annealed_checkpoint, sft_checkpoint, evaluation),
        *ANNEALING_ASSETS,  # group "annealing": code_corpus -> algorithmic_corpus, synthetic_snippets, code_textbooks -> annealing_mixture
        *SFT_ASSETS,
        *WEB_ASSETS,  # group "web": WARC dumps -> web_pages -> ... (assets/web.py)
    ],
    sensors=[code_dump_sensor, code_automation_sensor, instruction_sensor, web_dump_sensor],
    jobs=[define_asset_job("dedup_job", selection=[exact_dedup, fuzzy_dedup]), retire_dump_job, lake_maintenance_job],
    schedules=[lake_maintenance_schedule],
    resources=resources_for_deployment(),
)
