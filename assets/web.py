"""Web corpus assets: WARC dump -> web_pages -> web_text -> code_web_recall -> code_web_corpus."""


import time

from dagster import AssetExecutionContext, Config, MaterializeResult, asset
from pydantic import Field

from assets.automation import after_dumps_ingested, after_upstream_stage
from assets.metadata import check_results, check_specs, report_metadata, whole_lake_result
from assets.partitions import web_dumps
from codelake import __version__
from codelake.exact_dedup.survivors import SURVIVOR_RULES
from codelake.fuzzy_dedup.config import FUZZY_RULES
from codelake.settings import fingerprint
from codelake.code_web_corpus import run_code_web_corpus
from codelake.web_recall import RECALL_DIR, run_code_web_recall
from codelake.web_text import run_web_text
from codelake.web_text.rules import WEB_TEXT_RULES
from codelake.web_pages import run_web_pages
from codelake.web_pages.rules import WEB_INGEST_RULES, WebIngestRules
from resources.duckdb import LakeDuckDBResource
from resources.lake import LakeResource
from resources.landing_zone import LandingZoneResource


def _progress_logger(context: AssetExecutionContext, every_seconds: float = 10.0):
    last = [time.monotonic()]

    def log(records: int, nbytes: int | None = None) -> None:
        if time.monotonic() - last[0] >= every_seconds:
            last[0] = time.monotonic()
            context.log.info(f"{records} records" + (f", {nbytes / 1e6:.1f} MB judged" if nbytes is not None else " done"))

    return log


@asset(
    partitions_def=web_dumps,
    group_name="web",
    kinds={"deltalake", "python"},
    code_version=fingerprint(WEB_INGEST_RULES, extra=__version__),
    check_specs=check_specs("web_pages"),
)
def web_pages(context: AssetExecutionContext, lake: LakeResource, landing_zone: LandingZoneResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The HTML pages of one web dump's WARC files (read with fastwarc): HTTP headers parsed, chunked
    transfer and gzip/br content codings undone, charset from the header, the meta tag or detection, host
    and registered domain (Public Suffix List). One row per page: url, host, domain, fetch time, status,
    content type, payload bytes, encoding, WARC file and offset, html. Dropped with their reason in the
    lineage: non_200, non_html, duplicate_url (the newest fetch wins), too_large, undecodable, empty, and
    malformed_record (damaged WARC bytes, named by file and byte offset; the rest of the file is read).
    Request, metadata, revisit and warcinfo records are counted in `records_by_type`."""
    dump = context.partition_key
    dump_path = landing_zone.web_dump_path(dump)
    the_lake = lake.lake()
    report = run_web_pages(the_lake, dump_path, dump=dump, rules=WebIngestRules.load(), progress=_progress_logger(context))
    context.log.info(report.summary())
    return MaterializeResult(
        metadata={"dump": str(dump_path), **report_metadata(report, the_lake)},
        check_results=check_results(report, the_lake, report.rows_in, dump=dump, connections=duckdb.connection_factory()),
    )


class WebTextConfig(Config):
    workers: int = Field(default=2, description="Worker processes extracting text (one batch of pages each)")


@asset(
    deps=[web_pages],
    group_name="web",
    kinds={"deltalake", "duckdb", "python"},
    code_version=fingerprint(WEB_TEXT_RULES, FUZZY_RULES, SURVIVOR_RULES, extra=__version__),
    check_specs=check_specs("web_text"),
    automation_condition=after_dumps_ingested(),
)
def web_text(context: AssetExecutionContext, config: WebTextConfig, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The text of every web page across ALL web dumps: the newest fetch of each URL (older fetches drop as
    duplicate_url), main content extracted by resiliparse with code blocks and inline code kept (the whole
    page when the main-content heuristics find nothing; no_text when even that is empty), title, natural
    language (rules/web_text.yaml). Exact and near duplicates (the code branch's engine: SHA-256, then
    MinHash + LSH with a preset of rules/fuzzy_dedup.yaml) keep the newest fetch; each dropped page's
    lineage names its survivor."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    progress = _progress_logger(context)
    return whole_lake_result(
        context, the_lake, "web_pages",
        lambda version: run_web_text(the_lake, workers=config.workers, upstream_version=version, connections=connections, progress=progress),
        connections,
    )


@asset(
    deps=[web_text],
    group_name="web",
    kinds={"deltalake", "python"},
    code_version=fingerprint(*sorted(RECALL_DIR.glob("*.yaml")), extra=__version__),
    check_specs=check_specs("code_web_recall"),
    automation_condition=after_upstream_stage(),
)
def code_web_recall(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """OpenCoder's code-related web recall, three rounds as data. Each round trains a fastText classifier
    (texts pretokenized by a BPE tokenizer trained on the round's seed) on positives from the seed
    (rules/web_recall/seed.yaml, plus Markdown/RST docs and READMEs of code_corpus when the lake has one)
    and negatives sampled from the crawl, scores every page, and marks a domain code-related when more than
    10% of its pages are recalled; pages inside such domains that the URL patterns include
    (rules/web_recall/url_patterns.yaml, edited between rounds) join the next round's positives. One row
    per page (scores per round); each round's model file, tokenizer, parameters and SHA-256 go to
    code_web_recall_rounds. Metadata per round: positives, precision/recall on a held-out split, pages
    recalled, new domains, score histogram, top domains."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    return whole_lake_result(
        context, the_lake, "web_text",
        lambda version: run_code_web_recall(the_lake, upstream_version=version, connections=connections, progress=context.log.info),
        connections,
    )


@asset(
    deps=[code_web_recall],
    group_name="web",
    kinds={"deltalake"},
    code_version=fingerprint(*sorted(RECALL_DIR.glob("*.yaml")), extra=__version__),
    check_specs=check_specs("code_web_corpus"),
    automation_condition=after_upstream_stage(),
)
def code_web_corpus(context: AssetExecutionContext, lake: LakeResource, duckdb: LakeDuckDBResource) -> MaterializeResult:
    """The code-related web pages as training text (url, domain, the round a page first qualified in, its
    score, title, language, text): recalled by the last round, or included by a URL pattern of a
    code-related domain, and not excluded. Every other page is a lineage drop (not_code_related with its
    score, or url_excluded). The pretraining mixture reads this table as an optional code source."""
    the_lake, connections = lake.lake(), duckdb.connection_factory()
    return whole_lake_result(
        context, the_lake, "code_web_recall", lambda version: run_code_web_corpus(the_lake, upstream_version=version, connections=connections), connections
    )


# Every web asset, in graph order: definitions.py adds them as one group.
WEB_ASSETS = [web_pages, web_text, code_web_recall, code_web_corpus]
