"""sft_verified: the code in every answer parsed; unparsable samples dropped; answers with tests run.

Each fenced block of an assistant turn is parsed in its language (codelake/sft_verified/parse.py):
one block that does not parse drops the sample as `unparsable_code`, the lineage naming the turn, the
block, its language and the error line. Untagged, not-code and unknown-language blocks are counted as
unchecked. Python answers carrying tests run in the sandbox, `run_many` over the batch, and are marked
with the sandbox's status (passed, failed, timeout, limit_exceeded, crashed); without a sandbox they
are marked not_run. Nothing is dropped for a failing test here: the stage rules decide (stage 2 keeps
only passing or untested samples).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pyarrow as pa

from codelake.lake import Lake, LineageSpool
from codelake.report import StageReport
from codelake.sandbox import PythonProgram, Sandbox
from codelake.sft_raw.code_blocks import CodeBlockRules, answer_blocks
from codelake.sft_raw.schema import SFT_VERIFIED_SCHEMA
from codelake.sft_verified.parse import parse_block
from codelake.sft_verified.tests_run import checking_program

STAGE = "sft_verified"


def verify_turns(turns: list[dict], rules: CodeBlockRules) -> tuple[dict, str | None, list[str]]:
    """(block counts, the first parse failure or None, the Python blocks in order)."""
    counts = {"code_blocks": 0, "parsed_blocks": 0, "unchecked_blocks": 0}
    python: list[str] = []
    for turn, block in answer_blocks(turns):
        counts["code_blocks"] += 1
        language = rules.language(block.tag)
        if language is None:
            counts["unchecked_blocks"] += 1
            continue
        result = parse_block(language, block.code)
        if not result.ok:
            number = counts["code_blocks"]
            return counts, f"turn {turn}, block {number} ({language}{', unclosed fence' if not block.closed else ''}): {result.error}", python
        counts["parsed_blocks"] += 1
        if language == "python":
            python.append(block.code)
    return counts, None, python


def run_sft_verified(
    lake: Lake, sandbox: Sandbox | None = None, upstream: str = "sft_raw", upstream_version: int | None = None,
    rules: CodeBlockRules | None = None, batch_rows: int = 500, timeout_seconds: float = 10.0,
) -> StageReport:
    rules = rules or CodeBlockRules.load()
    if not lake.exists(upstream):
        raise FileNotFoundError(f"{lake.table_path(upstream)}: no {upstream} table yet")
    source = lake.dataset(upstream, upstream_version)
    timed = sandbox.with_limits(wall_seconds=timeout_seconds) if sandbox is not None else None
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    executions: Counter = Counter()
    failures: list[dict] = []

    def rows() -> Iterator[pa.RecordBatch]:
        for batch in source.to_batches(batch_size=batch_rows):
            records = batch.to_pylist()
            kept, programs = [], []
            for record in records:
                counts, failure, python = verify_turns(record["messages"], rules)
                if failure:
                    lineage.record(record["doc_id"], "drop", "unparsable_code", failure, record["dump"], record["repo"], record["path"])
                    report.dropped("unparsable_code", record["size"])
                    continue
                program = checking_program(python, record["tests"] or []) if python or record["tests"] else None
                record.update(counts, execution="no_tests" if program is None else "not_run", execution_detail=None)
                if program is not None:
                    if timed is None:
                        record["execution_detail"] = "no sandbox configured"
                    else:
                        programs.append((len(kept), PythonProgram(program)))
                kept.append(record)
            if timed is not None and programs:
                for index, result in timed.run_many(programs):
                    kept[index]["execution"] = result.status
                    detail = result.summary()
                    if not result.passed:
                        detail += ": " + (result.error or result.stderr or result.stdout).strip()[-300:]
                        if len(failures) < 20:
                            failures.append({"path": kept[index]["path"], "status": result.status, "detail": detail[:200].replace("\n", " ").replace("|", "/")})
                    kept[index]["execution_detail"] = detail
            for record in kept:
                executions[record["execution"]] += 1
                report.kept(record["language"], record["size"])
            if kept:
                yield pa.RecordBatch.from_pylist(kept, schema=SFT_VERIFIED_SCHEMA)

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows(), SFT_VERIFIED_SCHEMA)
    finally:
        lineage.discard()
    report.tables["executions"] = [{"execution": k, "samples": n} for k, n in executions.most_common()]
    if failures:
        report.tables["failed_tests_sample"] = failures
    return report
