"""`make demo`: build the demo dumps, let the sensor register them, materialize every asset, show results.

Runs against a persistent Dagster instance ($DAGSTER_HOME), so `make ui` afterwards shows the runs,
their metadata and the asset checks.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, build_sensor_context, materialize
from rich.console import Console
from rich.markup import escape

from assets.annealing import algorithmic_corpus, annealing_mixture, code_textbooks, synthetic_snippets
from assets.code import code_corpus, exact_dedup, filter_signals, filtered, fuzzy_dedup, raw_files, transformed
from assets.training import annealed_checkpoint, annealing_shards, evaluation, pretrain_checkpoint, pretrain_shards, sft_checkpoint, tokenizer
from codelake.cli.inspect import print_stats
from codelake.dumps.sources import dump_name_of
from codelake.settings import codelake_home, default_landing_zone
from demo.build_corpora import build_corpora
from demo.build_dumps import build_demo_dumps
from demo.sft_block import materialize_sft
from demo.build_web import run_web_demo
from resources import LandingZoneResource, LocalLauncher, resources_for_deployment
from sensors.code_dumps import code_dump_sensor


# Demo scale: a few dozen CPU steps each, warm-up of a few steps (the schedules' defaults are the paper's).
_TINY = {"preset": "tiny", "warmup_steps": 3, "checkpoint_interval": 20}
DEMO_TRAINING = {
    "pretrain_checkpoint": {**_TINY, "steps": 60, "learning_rate": 1e-3},
    "annealed_checkpoint": {**_TINY, "steps": 20, "learning_rate": 1e-3},
    "sft_checkpoint": {**_TINY, "steps": 10},
    "evaluation": {"problems": 20, "max_new_tokens": 64},  # a tiny model scores ~0: the path is what the demo shows
}


def _demo_config(base: dict, name: str) -> dict:
    return {**base, "ops": {name: {"config": DEMO_TRAINING[name]}}} if name in DEMO_TRAINING else base


def _training_summary(outcome) -> str:
    for event in outcome.get_asset_materialization_events():
        metadata = event.materialization.metadata
        if "final_loss" in metadata:
            return f": loss {metadata['first_loss'].value:.3f} → {metadata['final_loss'].value:.3f}, {metadata['tokens_per_s'].value:.0f} tokens/s"
        if "sft_stage2/final_loss" in metadata:
            return f": stage 2 loss {metadata['sft_stage2/first_loss'].value:.3f} → {metadata['sft_stage2/final_loss'].value:.3f}"
        if "pass@1" in metadata:
            return f": HumanEval pass@1 {metadata['pass@1'].value:.3f} on {metadata['problems'].value} problems {metadata['statuses'].value}"
        if "tokens" in metadata:
            return f": {metadata['tokens'].value:,} tokens"
    return ""


def main() -> int:
    console = Console()
    started = time.perf_counter()
    landing = default_landing_zone()
    landing.mkdir(parents=True, exist_ok=True)
    console.rule("1. building demo dumps from files on this machine")
    demo_dumps = [dump_name_of(path) for path in build_demo_dumps(landing)]
    # The builder renames archives into place atomically, so no settling time is needed here.
    landing_zone = LandingZoneResource(path=str(landing), settle_seconds=0)
    # The deployment's resources (as `make ui` has them), with the demo's two differences.
    resources = {**resources_for_deployment(), "landing_zone": landing_zone, "launcher": LocalLauncher(forward_output=False)}
    lake = resources["lake"]
    instance = DagsterInstance.get()
    quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

    console.rule("2. the landing-zone sensor registers complete dumps")
    result = code_dump_sensor(build_sensor_context(instance=instance, resources=resources))
    requests = getattr(result, "run_requests", None) or []
    for partition_request in getattr(result, "dynamic_partitions_requests", None) or []:
        instance.add_dynamic_partitions(partition_request.partitions_def_name, list(partition_request.partition_keys))
    known = instance.get_dynamic_partitions("code_dumps")
    console.print(f"registered partitions: {known}")
    # The demo's own dumps, and any dump the sensor has just registered; never other registered dumps
    # (one may have been archived out of the landing zone or retired since).
    keys = [key for key in demo_dumps + [r.partition_key for r in requests if r.partition_key not in demo_dumps] if key in known]
    for key in sorted(set(demo_dumps) - set(known)):
        console.print(f"[yellow]{escape(key)} is not registered (retired?): not materialized[/yellow]")
    console.print(f"materializing: {keys}" + ("" if requests else " (no new dumps: the demo's own are re-materialized)"))

    console.rule("3. materializing raw_files per dump, then the whole-lake stages")
    for key in keys:
        outcome = materialize([raw_files], partition_key=key, instance=instance, resources=resources, run_config=quiet)
        if not outcome.success:
            console.print(f"[red]{escape(f'raw_files[{key}]')} failed[/red]")
            return 1
        console.print(escape(f"raw_files[{key}] materialized"))
    downstream = [exact_dedup, fuzzy_dedup, transformed, filter_signals, filtered, code_corpus]
    for stage in downstream:
        outcome = materialize([raw_files, *downstream], selection=[stage], instance=instance, resources=resources, run_config=quiet)
        if not outcome.success:
            console.print(f"[red]{stage.key.to_user_string()} failed[/red]")
            return 1
        console.print(f"{stage.key.to_user_string()} materialized")

    console.rule("3b. annealing data: algorithmic corpus, sandbox-verified snippets, LLM textbooks, the mixture")
    annealing = [algorithmic_corpus, synthetic_snippets, code_textbooks, annealing_mixture]
    for stage in annealing:
        outcome = materialize([*downstream, *annealing], selection=[stage], instance=instance, resources=resources, run_config=quiet)
        if not outcome.success:
            console.print(f"[red]{stage.key.to_user_string()} failed[/red]")
            return 1
        meta = {k: v.value for e in outcome.get_asset_materialization_events() for k, v in e.materialization.metadata.items()}
        said = [f"{meta.get('rows_kept', 0)} rows"] + [f"snippets {k}: {meta['snippets_' + k]}" for k in ("ran", "passed", "failed", "timeout") if "snippets_" + k in meta]
        console.print(escape(f"{stage.key.to_user_string()}: " + (meta.get("skipped") or ", ".join(said)) + (f" | {meta['llm_snippets']}" if meta.get("llm_snippets", "generated") != "generated" else "")))

    console.rule("3c. web branch: a WARC crawl of Debian HTML docs -> web_pages -> web_text -> three recall rounds -> code_web_corpus")
    if not run_web_demo(console, instance, resources, quiet):
        return 1

    console.rule("3b. SFT data: instruction sets, code verified, samples synthesized from code_corpus, decontaminated, two stages")
    if not materialize_sft(console, instance, resources, quiet, [raw_files, *downstream]):
        return 1

    console.rule("4. training: tokenizer, shards, a tiny model pre-trained, annealed and instruction-tuned on CPU")
    counts = build_corpora(codelake_home())
    console.print("text and math data from documents on this machine: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    training = [tokenizer, pretrain_shards, annealing_shards, pretrain_checkpoint, annealed_checkpoint, sft_checkpoint, evaluation]
    for stage in training:
        outcome = materialize(
            [*downstream, *training], selection=[stage], instance=instance, resources=resources, run_config=_demo_config(quiet, stage.key.to_user_string())
        )
        if not outcome.success:
            console.print(f"[red]{stage.key.to_user_string()} failed[/red]")
            return 1
        console.print(f"{stage.key.to_user_string()} materialized{_training_summary(outcome)}")

    console.rule("5. results")
    print_stats(lake.lake(), console)
    console.print(f"\nDone in {time.perf_counter() - started:.0f}s. Where to look:")
    console.print(f"  lake (Delta tables):   {lake.root}")
    console.print(f"  landing zone (dumps):  {landing}")
    console.print(f"  Dagster instance:      {os.environ.get('DAGSTER_HOME')}")
    console.print("  UI:                    make ui   → http://127.0.0.1:3000 (asset graph, runs, metadata, checks)")
    console.print("  counts:                .venv/bin/codelake stats")
    console.print("  one file's story:      .venv/bin/codelake why <doc_id | repo/path>")
    console.print("  filter rules:          .venv/bin/codelake rules")
    console.print(f"  SQL:                   duckdb over {Path(lake.root)}/<table> with delta_scan (see README)")
    return 0


if __name__ == "__main__":
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(codelake_home() / "dagster")
    dagster_yaml = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.parent.mkdir(parents=True, exist_ok=True)
        dagster_yaml.write_text("telemetry:\n  enabled: false\n")
    sys.exit(main())
