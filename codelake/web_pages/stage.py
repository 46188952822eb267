"""The web_pages stage end to end: one web dump (WARC files) in, one Delta commit of its partition.

Every response record becomes a page row or a lineage drop; every stretch of a file that is not a
readable record becomes a `malformed_record` drop naming the file and byte offset. Request, metadata,
revisit, warcinfo and other records are counted (the `records_by_type` table), not rows.

A URL fetched more than once keeps its newest fetch (WARC-Date; a tie goes to the later record in the
crawl): within the dump, and against the other dumps already in the lake (a page older than a fetch
another dump holds drops). A page kept before a newer dump arrived stays in its own partition;
web_text, which reads every dump, keeps only the newest fetch of each URL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import connect
from codelake.report import StageReport
from codelake.warc.domains import normalized_host, registered_domain
from codelake.warc.files import warc_files, web_dump_name_of
from codelake.warc.records import Damage, OtherRecord, read_warc
from codelake.web_pages.pages import judge_response, page_doc_id
from codelake.web_pages.rules import WebIngestRules
from codelake.web_pages.schema import WEB_PAGES_SCHEMA
from codelake.web_pages.spool import PageSpool

STAGE = "web_pages"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class WebDumpError(RuntimeError):
    """The dump as a whole cannot be ingested; the message names the dump (and file)."""


def _rank(fetch_time: datetime | None, order: int) -> tuple:
    return (fetch_time or _EPOCH, order)


class _NewestFetch:
    """Per URL, the newest fetch seen in this dump; every other fetch is a duplicate of it."""

    def __init__(self):
        self.best: dict[str, tuple[tuple, str, datetime | None]] = {}  # url -> (rank, doc_id, fetch_time)
        self.superseded: list[tuple[str, str, str, int, datetime | None]] = []  # (doc_id, url, domain, size, fetch)
        self.sizes: dict[str, int] = {}  # doc_id -> payload bytes, of the current bests

    def add(self, url: str, doc: str, domain: str, size: int, fetch_time: datetime | None, order: int) -> None:
        rank = _rank(fetch_time, order)
        current = self.best.get(url)
        if current is None or rank > current[0]:
            if current is not None:
                self.superseded.append((current[1], url, domain, self.sizes.pop(current[1]), current[2]))
            self.best[url] = (rank, doc, fetch_time)
            self.sizes[doc] = size
        else:
            self.superseded.append((doc, url, domain, size, fetch_time))


def _newer_elsewhere(lake: Lake, dump: str, best: dict) -> dict[str, tuple[str, str, datetime | None]]:
    """url -> (dump, doc_id, fetch_time) of a newer fetch another dump in the lake holds (ties: the smaller dump name)."""
    if not best or not lake.exists(STAGE):
        return {}
    ours = pa.table(
        {
            "url": list(best),
            "fetch_time": pa.array([v[2] for v in best.values()], pa.timestamp("us", tz="UTC")),
        }
    )
    con = connect(lake)
    try:
        con.register("ours", ours)
        rows = con.execute(
            f"""SELECT o.url, w.dump, w.doc_id, w.fetch_time FROM ours o JOIN {STAGE} w USING (url)
                WHERE w.dump <> $dump AND (coalesce(w.fetch_time, TIMESTAMPTZ '1970-01-01 00:00:00+00') >
                                           coalesce(o.fetch_time, TIMESTAMPTZ '1970-01-01 00:00:00+00')
                       OR (w.fetch_time IS NOT DISTINCT FROM o.fetch_time AND w.dump < $dump))
                QUALIFY row_number() OVER (PARTITION BY o.url ORDER BY w.fetch_time DESC NULLS LAST, w.dump) = 1""",
            {"dump": dump},
        ).fetchall()
    finally:
        con.close()
    return {url: (other, doc, fetch) for url, other, doc, fetch in rows}


def run_web_pages(
    lake: Lake,
    dump_path: str | Path,
    dump: str | None = None,
    rules: WebIngestRules | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StageReport:
    """Replace the dump's partition of `web_pages` (one commit) and its lineage rows."""
    rules = rules or WebIngestRules.load()
    dump = dump or web_dump_name_of(dump_path)
    files = warc_files(dump_path)
    if not files:
        raise WebDumpError(f"{dump_path}: web dump {dump!r} holds no .warc or .warc.gz file")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    spool = PageSpool(WEB_PAGES_SCHEMA, rules.batch_rows, rules.batch_bytes)
    newest = _NewestFetch()
    record_types: Counter = Counter()
    file_rows: list[dict] = []
    order = 0
    try:
        for name, path in files:
            counts: Counter = Counter()
            try:
                events = read_warc(path, name, rules.max_record_bytes, rules.verify_block_digest)
                for event in events:
                    order += 1
                    if isinstance(event, OtherRecord):
                        record_types[event.record_type] += 1
                        counts["other records"] += 1
                        continue
                    if isinstance(event, Damage):
                        record_types["(damaged)"] += 1
                        counts["malformed"] += 1
                        doc = page_doc_id(dump, name, event.offset)
                        domain = registered_domain(normalized_host(event.url))
                        lineage.record(doc, "drop", "malformed_record", f"{name} @ byte {event.offset}: {event.problem}", dump, domain,
                                       event.url or f"{name}@{event.offset}")
                        report.dropped("malformed_record", 0)
                        continue
                    record_types["response"] += 1
                    counts["responses"] += 1
                    decision = judge_response(event, dump, rules)
                    if decision.reason is not None:
                        lineage.record(decision.doc_id, "drop", decision.reason, decision.detail, dump, decision.domain, decision.url)
                        report.dropped(decision.reason, decision.size)
                        continue
                    row = decision.row
                    row["dump"] = dump
                    spool.add(row)
                    newest.add(row["url"], row["doc_id"], row["domain"], row["payload_bytes"], row["fetch_time"], order)
                    counts["pages"] += 1
                    if progress is not None and order % 500 == 0:
                        progress(report.rows_in, report.bytes_in)
            except OSError as err:  # the file itself cannot be opened or read: the dump is refused whole
                raise WebDumpError(f"{path}: web dump {dump!r}: cannot read WARC file {name!r}: {err}") from err
            file_rows.append({"file": name, "MB": round(path.stat().st_size / 1e6, 2), **{k: counts[k] for k in ("responses", "pages", "other records", "malformed")}})

        dropped: dict[str, None] = {}
        for doc, url, domain, size, fetch in newest.superseded:
            _, winner, winner_fetch = newest.best[url]
            lineage.record(doc, "drop", "duplicate_url", f"fetched {fetch}; the newest fetch ({winner_fetch}) is doc_id {winner} in this dump", dump, domain, url)
            report.dropped("duplicate_url", size)
            dropped[doc] = None
        for url, (other, winner, winner_fetch) in _newer_elsewhere(lake, dump, newest.best).items():
            _, doc, fetch = newest.best[url]
            size = newest.sizes[doc]
            lineage.record(doc, "drop", "duplicate_url", f"fetched {fetch}; a newer fetch ({winner_fetch}) is doc_id {winner} in dump {other}",
                           dump, registered_domain(normalized_host(url)), url)
            report.dropped("duplicate_url", size)
            dropped[doc] = None
        losers = pa.array(list(dropped), pa.string())

        def keep(batch: pa.RecordBatch) -> pa.RecordBatch:
            if len(losers):
                batch = batch.filter(pc.invert(pc.is_in(batch.column("doc_id"), value_set=losers)))
            for encoding, size in zip(batch.column("encoding").to_pylist(), batch.column("payload_bytes").to_pylist()):
                report.kept(encoding, size)
            return batch

        report.version, report.lineage_version = lineage.commit_with_table(lake, spool.batches(keep), WEB_PAGES_SCHEMA, dump=dump)
    finally:
        spool.discard()
        lineage.discard()
    report.tables["records_by_type"] = [{"record type": k, "records": n} for k, n in sorted(record_types.items())]
    report.tables["warc_files"] = file_rows
    return report
