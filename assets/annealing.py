"""Annealing data assets: code_corpus -> algorithmic_corpus, synthetic_snippets, code_textbooks -> annealing_mixture.

None of them has an automation condition: they run when materialized by hand (or by `make demo`). Should
algorithmic_corpus and synthetic_snippets follow code_corpus by themselves, give them
`after_upstream_stage()` and add "annealing" to sensors/automation.py's AUTOMATED_GROUPS; the LLM part of
synthetic_snippets refuses to run in a run the automation sensor started all the same.
"""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster._core.storage.tags import AUTOMATION_CONDITION_TAG

from assets.code import LANGUAGES, code_corpus
from assets.metadata import ROWS_CONSERVED, UNIQUE_DOC_IDS, check_results, check_specs, report_metadata, whole_lake_result
from codelake import __version__
from codelake.algorithmic_corpus import ALGORITHMIC_RULES, run_algorithmic_corpus
from codelake.annealing_mixture import ANNEALING_MIXTURE_RULES, run_annealing_mixture
from codelake.checks import duplicate_doc_ids
from codelake.code_textbooks import TEXTBOOK_RULES, run_code_textbooks
from codelake.fuzzy_dedup.config import FUZZY_RULES
from codelake.lake import Lake
from codelake.llm import prompts_fingerprint
from codelake.sandbox.settings import SANDBOX_RULES
from codelake.settings import fingerprint
from codelake.synthetic_snippets import SNIPPET_RULES, run_synthetic_snippets
from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.llm import LLMResource
from resources.sandbox import SandboxResource

PROMPTS = f"prompts={prompts_fingerprint()}"


def _skipped(context: AssetExecutionContext, lake: Lake, stage: str, message: str, connections) -> MaterializeResult:
    """Nothing generated, nothing written: the run log and the metadata say why and what to configure. An
    earlier version of the table (from a run with an endpoint) stays as it is."""
    message += " No table was written" + (" (the earlier version is left as it is)." if lake.exists(stage) else ".")
    context.log.warning(message)
    version = lake.version(stage)
    duplicates = duplicate_doc_ids(lake, stage, version, connections) if version is not None else 0
    return MaterializeResult(
        metadata={"skipped": message, "table_written": False, **({"delta_version": version} if version is not None else {})},
        check_results=[
            AssetCheckResult(check_name=ROWS_CONSERVED, passed=True, metadata={"skipped": "nothing was read or written by this run"}),
            AssetCheckResult(check_name=UNIQUE_DOC_IDS, passed=duplicates == 0, metadata={"duplicates": duplicates, "version": version}),
        ],
    )


@asset(
    deps=[code_corpus],
    group_name="annealing",
    kinds={"deltalake", "polars"},
    code_version=fingerprint(ALGORITHMIC_RULES, LANGUAGES, extra=__version__),
    check_specs=check_specs("algorithmic_corpus"),
)
def algorithmic_corpus(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """Files of code_corpus that look like algorithmic exercises (OpenCoder's annealing "algorithmic
    corpus"): "leetcode", "def solution", "class Solution", judge sites, contest input parsing, problem
    statements, complexity annotations — weighted rules in rules/annealing/algorithmic.yaml. The metadata
    counts files per rule; every other file is a lineage drop `not_algorithmic` with its score."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    return whole_lake_result(
        context, the_lake, "code_corpus", lambda version: run_algorithmic_corpus(the_lake, upstream_version=version), connections
    )


@asset(
    deps=[code_corpus, algorithmic_corpus],
    group_name="annealing",
    kinds={"deltalake", "python"},
    code_version=fingerprint(SNIPPET_RULES, SANDBOX_RULES, extra=f"{__version__}:{PROMPTS}"),
    check_specs=check_specs("synthetic_snippets"),
)
def synthetic_snippets(
    context: AssetExecutionContext, lake: LakeResource, sandbox: SandboxResource, llm: LLMResource, duckdb: LakeDuckDBResource
) -> MaterializeResult:
    """Self-contained Python functions with tests, kept only when the tests PASS in the sandbox: mined from
    code_corpus (doctests or the file's unit tests, standard-library imports only) and written by the
    `llm` resource's model from algorithmic_corpus seeds (skipped, saying what to set, without an
    endpoint, and in runs started by the automation sensor). Every execution's result is in the lake: a
    passing one in its row, any other in the lineage (status, exit code, limit, output tails)."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    settings = llm.settings()
    session, skipped = None, None
    if not settings.configured:
        skipped = settings.not_configured_message("LLM-written snippets (synthetic_snippets, origin llm)")
    elif context.run.tags.get(AUTOMATION_CONDITION_TAG) == "true":
        skipped = "LLM-written snippets not generated: this run was started by the automation sensor; LLM calls run only when synthetic_snippets is materialized by hand"
    else:
        session = llm.session(the_lake)
    if skipped:
        context.log.warning(skipped)
    version = the_lake.version("code_corpus")
    run = run_synthetic_snippets(the_lake, sandbox.sandbox(), session=session, llm_skipped=skipped, upstream_version=version)
    context.log.info(run.report.summary())
    executions = run.execution_summary()
    context.log.info("snippets executed: " + ", ".join(f"{k} {v}" for k, v in executions.items()))
    return MaterializeResult(
        metadata={
            "code_corpus_version": version,
            **{f"snippets_{k}": v for k, v in executions.items()},
            "llm_snippets": run.llm_note or "generated",
            **run.llm_stats,
            **report_metadata(run.report, the_lake),
        },
        check_results=check_results(run.report, the_lake, run.report.rows_in, connections=connections),
    )


@asset(
    deps=[code_corpus, algorithmic_corpus],
    group_name="annealing",
    kinds={"deltalake", "python"},
    code_version=fingerprint(TEXTBOOK_RULES, FUZZY_RULES, extra=f"{__version__}:{PROMPTS}"),
    check_specs=check_specs("code_textbooks"),
)
def code_textbooks(context: AssetExecutionContext, lake: LakeResource, llm: LLMResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """Textbook passages written by the `llm` resource's model from the topics of
    rules/annealing/textbooks.yaml and files of algorithmic_corpus (OpenCoder's synthetic code
    textbooks), near duplicates removed among themselves and against code_corpus with the fuzzy engine.
    Never run by automation. Without an LLM endpoint it is skipped and says what to set: nothing is made up."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    session = llm.session(the_lake)
    if session is None:
        return _skipped(context, the_lake, "code_textbooks", llm.settings().not_configured_message("code_textbooks"), connections)
    report = run_code_textbooks(the_lake, session, connections=connections)
    context.log.info(report.summary())
    return MaterializeResult(
        metadata={**session.stats.as_metadata(), **report_metadata(report, the_lake)},
        check_results=check_results(report, the_lake, report.rows_in, connections=connections),
    )


@asset(
    deps=[code_corpus, algorithmic_corpus, synthetic_snippets, code_textbooks],
    group_name="annealing",
    kinds={"deltalake"},
    code_version=fingerprint(ANNEALING_MIXTURE_RULES, extra=__version__),
    check_specs=check_specs("annealing_mixture"),
)
def annealing_mixture(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The annealing data: code_corpus plus the high-quality sets by token share (rules/annealing/mixture.yaml:
    OpenCoder's 84.21B RefineCode / 12.44B algorithmic / 2.71B snippets / 0.91B textbooks), sampled or
    repeated per document. The metadata shows target vs actual share per source and says when an empty
    source's weight was spread over the others. annealing_shards packs this table."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    run = run_annealing_mixture(the_lake)
    for note in run.notes:
        context.log.warning(note)
    context.log.info(run.report.summary())
    versions = {f"{s.name}_version": s.table_version for share in run.plan.shares for s in share.sources}
    return MaterializeResult(
        metadata={
            **versions,
            "mixture_notes": MetadataValue.md("\n".join(f"- {n}" for n in run.notes) or "_none: every share had data_"),
            "estimated_tokens": round(sum(run.tokens_by_share.values())),
            "extra_copies": run.extra_copies,
            **report_metadata(run.report, the_lake),
        },
        check_results=check_results(run.report, the_lake, run.rows_in, connections=connections),
    )


ANNEALING_ASSETS = [algorithmic_corpus, synthetic_snippets, code_textbooks, annealing_mixture]
