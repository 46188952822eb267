"""Code corpus assets: crawl dump -> raw_files -> exact_dedup -> fuzzy_dedup -> transformed -> filter_signals -> filtered -> code_corpus."""


import time
from dataclasses import replace
from pathlib import Path

from dagster import AssetExecutionContext, Config, MaterializeResult, asset
from pydantic import Field

from assets.automation import after_dumps_ingested, after_upstream_stage
from assets.lifecycle import unavailable_dump_result
from assets.metadata import check_results, check_specs, report_metadata, whole_lake_result
from assets.partitions import code_dumps
from codelake.dumps import open_dump
from codelake.dumps.sources import count_members
from codelake.exact_dedup.survivors import SURVIVOR_RULES
from codelake.fuzzy_dedup import load_preset
from codelake.fuzzy_dedup.config import FUZZY_RULES
from codelake.languages import LanguageTable
from codelake.lifecycle.optout import optout_fingerprint
from codelake.raw_files import IngestRules, run_raw_files
from codelake.raw_files.rules import INGEST_RULES
from codelake.code_corpus.mixture import MIXTURE_RULES
from codelake import filtered as filter_engine
from codelake.transformed.rules import TRANSFORM_DIR
from codelake import __version__
from codelake.registry import StageOptions, stage
from codelake.settings import RULES_DIR, fingerprint
from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.landing_zone import LandingZoneResource
from resources.stage_runner import StageRunner

LANGUAGES = RULES_DIR / "languages.yaml"
FILTER_RULES_DIR = RULES_DIR / "filters"
FILTER_CODE_DIR = Path(filter_engine.__file__).parent  # the signal code: editing it re-computes signals


def _progress_logger(context: AssetExecutionContext, every_seconds: float = 10.0):
    last = [time.monotonic()]

    def log(files: int, nbytes: int | None = None) -> None:
        if time.monotonic() - last[0] >= every_seconds:
            last[0] = time.monotonic()
            context.log.info(f"{files} files" + (f", {nbytes / 1e6:.1f} MB read" if nbytes is not None else " done"))

    return log


def _whole_lake_stage(context: AssetExecutionContext, name: str, lake: LakeResource, duckdb: LakeDuckDBResource,
                      options: StageOptions | None = None, runner: StageRunner | None = None, **metadata) -> MaterializeResult:
    """Run registered stage `name` over its upstream table pinned at its current version, with its checks
    (here, or as a Ray job when `runner` names a cluster)."""
    spec, the_lake, connections = stage(name), lake.lake(), duckdb.connection_factory()
    options = replace(options or StageOptions(), connections=connections)
    runner = runner or StageRunner()
    return whole_lake_result(
        context, the_lake, spec.upstream, lambda version: runner.run(context, name, lake, replace(options, upstream_version=version)), connections,
        **metadata
    )


@asset(
    partitions_def=code_dumps,
    group_name="code",
    kinds={"deltalake", "python"},
    code_version=fingerprint(INGEST_RULES, LANGUAGES, extra=f"{__version__}:optout={optout_fingerprint()}"),
    check_specs=check_specs("raw_files"),
)
def raw_files(
    context: AssetExecutionContext, lake: LakeResource, landing_zone: LandingZoneResource, duckdb: LakeDuckDBResource, stage_runner: StageRunner
) -> MaterializeResult:
    """Every file of one crawl dump, unpacked safely (nothing extracted to disk), labelled with its
    language from the 600+ language table in rules/languages.yaml. Files over 8 MB, binaries, empty or
    invalid-UTF-8 files, unsupported languages, symlinks and unsafe archive paths are dropped, each with
    its reason in the lineage table. One row per kept file: doc_id, repo, path, language, size,
    SHA-256, stars, commit time, dump, text. Files an opt-out request covers drop as `opted_out`. A dump
    gone from the landing zone after ingestion (archived) or retired keeps its rows: nothing is written."""
    unavailable = unavailable_dump_result(context, lake.lake(), Path(landing_zone.path))
    if unavailable is not None:
        return unavailable
    dump_path = landing_zone.dump_path(context.partition_key)
    rules = IngestRules.load()
    if stage_runner.runs_on_ray("raw_files"):  # the dump must be on storage the cluster sees at the same path
        report = stage_runner.run(context, "raw_files", lake, StageOptions(input=str(dump_path)))
    else:
        report = run_raw_files(lake.lake(), dump_path, rules, LanguageTable.load(LANGUAGES), _progress_logger(context))
    context.log.info(report.summary())
    rows_in = count_members(open_dump(dump_path, rules.manifest_file, rules.archive))
    return MaterializeResult(
        metadata={"dump": str(dump_path), **report_metadata(report, lake.lake())},
        check_results=check_results(report, lake.lake(), rows_in, dump=context.partition_key, connections=duckdb.connection_factory()),
    )


@asset(
    deps=[raw_files],
    group_name="code",
    kinds={"deltalake", "duckdb"},
    code_version=fingerprint(SURVIVOR_RULES, extra=f"{__version__}:optout={optout_fingerprint()}"),
    check_specs=check_specs("exact_dedup"),
    automation_condition=after_dumps_ingested(),
)
def exact_dedup(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """Exact duplicates removed across ALL dumps ingested so far: files with the same SHA-256 keep one
    survivor — most stars, then newest commit, then repo/path/dump order (rules/exact_dedup.yaml).
    A later dump with a better copy takes over; every dropped file's lineage row names its survivor."""
    return _whole_lake_stage(context, "exact_dedup", lake, duckdb)


class FuzzyDedupConfig(Config):
    preset: str = Field(default="", description="A preset of rules/fuzzy_dedup.yaml; empty: the file's default_preset")
    workers: int = Field(default=2, description="Threads computing MinHash signatures (one batch each)")
    batch_docs: int = Field(default=1000, description="Files per signature batch (bounds memory)")


@asset(
    deps=[exact_dedup],
    group_name="code",
    kinds={"deltalake", "duckdb", "numpy"},
    code_version=fingerprint(FUZZY_RULES, SURVIVOR_RULES, extra=__version__),
    check_specs=check_specs("fuzzy_dedup"),
    automation_condition=after_upstream_stage(),
)
def fuzzy_dedup(context: AssetExecutionContext, config: FuzzyDedupConfig, lake: LakeResource, duckdb: LakeDuckDBResource,
                stage_runner: StageRunner) -> MaterializeResult:
    """Near-duplicate files removed at file level (RefineCode: MinHash over 5-gram shingles, 2048
    functions, LSH 16 bands x 128 rows), across all dumps so far. Each cluster of near duplicates keeps
    one survivor by the exact-dedup rule (most stars, newest commit, ...); every removed file's lineage
    names its survivor and their estimated Jaccard similarity. Signatures are computed once per file and
    kept in the lake, so a new dump costs only its own files."""
    params = load_preset(config.preset or None)
    options = StageOptions(preset=params.preset, workers=config.workers, batch_rows=config.batch_docs, progress=_progress_logger(context))
    return _whole_lake_stage(context, "fuzzy_dedup", lake, duckdb, options, stage_runner, preset=params.preset)


class ParallelStageConfig(Config):
    workers: int = Field(default=2, description="Worker processes")
    batch_rows: int = Field(default=1000, description="Files per batch (bounds memory)")


@asset(
    deps=[fuzzy_dedup],
    group_name="code",
    kinds={"deltalake", "python"},
    code_version=fingerprint(*sorted(TRANSFORM_DIR.glob("*.yaml")), LANGUAGES, extra=__version__),
    check_specs=check_specs("transformed"),
    automation_condition=after_upstream_stage(),
)
def transformed(context: AssetExecutionContext, config: ParallelStageConfig, lake: LakeResource, duckdb: LakeDuckDBResource,
                stage_runner: StageRunner) -> MaterializeResult:
    """fuzzy_dedup's survivors with their text cleaned (RefineCode's transformation): copyright and
    license header comments at the top of files removed (per language's comment syntax), and personal
    or secret data replaced by placeholders — <EMAIL>, <IP_ADDRESS>, <KEY>, <PASSWORD>. Rules in
    rules/transform/. Every file is kept; each changed file's lineage row says what kinds were
    replaced and how many, never the values. Incremental: a run reads only the survivors it has not
    transformed yet and withdraws those that stopped being survivors, so a new dump costs only itself."""
    options = StageOptions(workers=config.workers, batch_rows=config.batch_rows, progress=_progress_logger(context))
    return _whole_lake_stage(context, "transformed", lake, duckdb, options, stage_runner)


@asset(
    deps=[transformed],
    group_name="code",
    kinds={"deltalake", "polars"},
    code_version=fingerprint(*sorted(FILTER_CODE_DIR.glob("*.py")), LANGUAGES, extra=__version__),
    check_specs=check_specs("filter_signals"),
    automation_condition=after_upstream_stage(),
)
def filter_signals(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource, stage_runner: StageRunner) -> MaterializeResult:
    """Every RefineCode filter signal of every transformed file, computed once (vectorized over Polars
    frames; Python-AST signals where a rule needs a parse) into its own table, without text. The
    `filtered` asset decides from this table alone, so changing a threshold in rules/filters/ re-decides
    without re-reading any file. Incremental: only files new since the last run are computed."""
    return _whole_lake_stage(context, "filter_signals", lake, duckdb, StageOptions(progress=_progress_logger(context)), stage_runner)


class FilterConfig(Config):
    seed: int = Field(default=0, description="Seed of the probabilistic rules' per-file draws")


@asset(
    deps=[filter_signals],
    group_name="code",
    kinds={"deltalake", "polars"},
    code_version=fingerprint(*sorted(FILTER_RULES_DIR.glob("*.yaml")), extra=__version__),
    check_specs=check_specs("filtered"),
    automation_condition=after_upstream_stage(),
)
def filtered(context: AssetExecutionContext, config: FilterConfig, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """Transformed files that pass RefineCode's heuristic rules (rules/filters/*.yaml: natural-language,
    general-code and per-language profiles, with the reference's thresholds and drop probabilities).
    Decided from filter_signals only. Each dropped file's lineage row names the first rule that fired,
    with every firing rule and the signal values in the detail; the metadata lists files and bytes
    dropped per rule and profile, with samples, and the rules that dropped nothing. Incremental: only
    files new since the last run are decided (all of them again after a rule or seed change)."""
    return _whole_lake_stage(context, "filtered", lake, duckdb, StageOptions(seed=config.seed), seed=config.seed)


@asset(
    deps=[filtered],
    group_name="code",
    kinds={"deltalake"},
    code_version=fingerprint(MIXTURE_RULES, extra=__version__),
    check_specs=check_specs("code_corpus"),
    automation_condition=after_upstream_stage(),
)
def code_corpus(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The pretraining code corpus: filtered files resampled per language by rules/mixture.yaml
    (RefineCode downsamples Java to 200 GB and HTML to 64 GB and keeps the rest as it is). Deterministic
    by the file's seed; the metadata shows the language distribution before and after."""
    return _whole_lake_stage(context, "code_corpus", lake, duckdb)
