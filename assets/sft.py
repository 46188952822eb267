"""SFT data assets: instruction sets from the landing zone -> sft_raw -> sft_verified, plus samples
synthesized from code_corpus (sft_synth) -> sft_decontaminated -> sft_stage1 / sft_stage2, and the
benchmark contamination report over the pretraining corpora."""


from pathlib import Path

from dagster import AssetExecutionContext, Config, DynamicPartitionsDefinition, MaterializeResult, asset
from pydantic import Field

from assets.metadata import check_results, check_specs, report_metadata, whole_lake_result
from codelake import __version__
from codelake.settings import fingerprint
from codelake.sft_raw import count_instruction_records, default_instructions_landing, run_sft_raw
from codelake.sft_raw.code_blocks import CODE_BLOCK_RULES
from codelake.sft_raw.formats import RAW_RULES
from codelake.sft_raw.landing import find_instruction_set
from codelake.sft_verified import run_sft_verified
from codelake.sft_verified import parse as parse_engine
from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.sandbox import SandboxResource

# One partition per instruction set (`stage1.<name>`), registered by instruction_sensor.
instruction_sets = DynamicPartitionsDefinition(name="instruction_sets")


class InstructionLandingConfig(Config):
    landing: str = Field(default="", description="Instructions landing zone; empty: $CODELAKE_HOME/landing/instructions")


def instructions_landing(config: InstructionLandingConfig) -> Path:
    return Path(config.landing) if config.landing else default_instructions_landing()


@asset(
    partitions_def=instruction_sets,
    group_name="sft",
    kinds={"deltalake", "python"},
    code_version=fingerprint(RAW_RULES, CODE_BLOCK_RULES, extra=__version__),
    check_specs=check_specs("sft_raw"),
)
def sft_raw(context: AssetExecutionContext, config: InstructionLandingConfig, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """One instruction set's records (JSONL or Parquet; OpenAI messages, ShareGPT conversations, Alpaca
    instruction/output, prompt/completion) normalized to one chat schema: an optional system turn, then
    user and assistant alternating, with source, licence, intended stage and code language. Records that
    match no format, have an empty turn, a broken role order, are oversized, malformed JSON, not UTF-8 or
    a Parquet file's wrong schema drop with their reason and `file:line` in the lineage."""
    instruction_set = find_instruction_set(instructions_landing(config), context.partition_key)
    manifest = instruction_set.manifest()
    the_lake = lake.lake()
    report = run_sft_raw(the_lake, instruction_set)
    context.log.info(report.summary())
    rows_in = count_instruction_records(instruction_set)
    return MaterializeResult(
        metadata={"instruction_set": str(instruction_set.path), "source": manifest.source, "license": manifest.license or "unknown",
                  "stage": manifest.stage, **report_metadata(report, the_lake)},
        check_results=check_results(report, the_lake, rows_in, dump=context.partition_key, connections=duckdb.connection_factory()),
    )

class VerifyConfig(Config):
    run_tests: bool = Field(default=True, description="Run answers that carry tests in the sandbox (off: marked not_run)")
    timeout_seconds: float = Field(default=10.0, description="Wall-clock limit of each test program")


@asset(
    deps=[sft_raw],
    group_name="sft",
    kinds={"deltalake", "python"},
    code_version=fingerprint(CODE_BLOCK_RULES, Path(parse_engine.__file__), extra=__version__),
    check_specs=check_specs("sft_verified"),
)
def sft_verified(
    context: AssetExecutionContext, config: VerifyConfig, lake: LakeResource, sandbox: SandboxResource, duckdb: LakeDuckDBResource
) -> MaterializeResult:
    """Every instruction set's samples with the code of their answers checked: each fenced code block is
    parsed in its language (Python's ast; tree-sitter for the others), and a sample with a block that
    does not parse is dropped (the lineage names the block, language and error line). Python answers
    that carry tests (a tests field, asserts, test_ functions) run in the sandbox and are marked passed,
    failed, timeout, ... in the `execution` column."""
    the_lake = lake.lake()
    runner = sandbox.sandbox() if config.run_tests else None
    return whole_lake_result(
        context, the_lake, "sft_raw",
        lambda version: run_sft_verified(the_lake, runner, upstream_version=version, timeout_seconds=config.timeout_seconds),
        duckdb.connection_factory(),
    )


SFT_ASSETS = [sft_raw, sft_verified]
