"""`make demo`'s SFT step: instruction sets from the standard library's documentation land, the sensor
registers them, and every SFT asset is materialized; prints what each stage kept and why the rest went,
and the HumanEval problem planted in an instruction file, caught by decontamination."""

from __future__ import annotations

import json

from dagster import DagsterInstance, build_sensor_context, materialize
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assets.sft import sft_decontaminated, sft_raw, sft_stage1, sft_stage2, sft_synth, sft_verified
from codelake.lake.sql import connect
from codelake.settings import codelake_home
from codelake.sft_raw import default_instructions_landing
from demo.build_instructions import build_instructions
from sensors.instructions import instruction_sensor

SYNTH_FILES_PER_LANGUAGE = 150  # demo scale: the first files of each language of code_corpus


def _drops(metadata) -> str:
    lines = metadata["drops_by_reason"].value.splitlines()[2:]
    return ", ".join(f"{cells[1].strip()} {cells[2].strip()}" for cells in (line.split("|") for line in lines) if len(cells) > 3) or "none"


def materialize_sft(console: Console, instance: DagsterInstance, resources: dict, run_config: dict, code_assets: list) -> bool:
    counts = build_instructions(default_instructions_landing())
    console.print("instruction sets from the standard library's documentation: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for stale in (codelake_home() / "corpora" / "sft").glob("stage*/demo-stage*.jsonl"):
        stale.unlink()  # written by earlier demos; the SFT stages write the trainer's files now
    result = instruction_sensor(build_sensor_context(instance=instance, resources=resources))
    for request in getattr(result, "dynamic_partitions_requests", None) or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    table = Table("asset", "in", "kept", "dropped: why")
    graph = [*code_assets, sft_raw, sft_verified, sft_synth, sft_decontaminated, sft_stage1, sft_stage2]
    steps = [(sft_raw, key) for key in counts] + [(a, None) for a in (sft_verified, sft_synth, sft_decontaminated, sft_stage1, sft_stage2)]
    for asset, key in steps:
        name = asset.key.to_user_string()
        config = run_config
        if asset is sft_synth:
            config = {**run_config, "ops": {"sft_synth": {"config": {"max_files_per_language": SYNTH_FILES_PER_LANGUAGE}}}}
        outcome = materialize(graph if key is None else [sft_raw], selection=[asset] if key is None else None, partition_key=key,
                              instance=instance, resources=resources, run_config=config)
        if not outcome.success:
            console.print(f"[red]{name}{f'[{key}]' if key else ''} failed[/red]")
            return False
        metadata = outcome.asset_materializations_for_node(name)[0].metadata
        table.add_row(escape(f"{name}[{key}]") if key else name, str(metadata["rows_in"].value), str(metadata["rows_kept"].value), _drops(metadata))
    console.print(table)
    con = connect(resources["lake"].lake())
    try:
        hits = con.execute("SELECT dump, path, detail FROM lineage WHERE stage = 'sft_decontaminated' ORDER BY path").fetchall()
    finally:
        con.close()
    for dump, path, detail in hits[:5]:
        why = json.loads(detail)
        console.print(escape(f"decontaminated: {dump}/{path}: {why['benchmark']} {why['item_id']} ({why['match']}: {why.get('ngram') or why.get('entry_point')!r})"))
    planted = [h for h in hits if h[0] == "stage1.stdlib-functions" and "HumanEval/0" in h[2]]
    console.print("[green]the planted HumanEval/0 copy was caught[/green]" if planted else "[red]the planted HumanEval/0 copy was NOT caught[/red]")
    return bool(planted)
