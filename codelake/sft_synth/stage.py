"""sft_synth: instruction samples made from code_corpus files — (a) FIM instructions from tree-sitter
logic blocks, (b) docstring -> function pairs, (c) LLM Educational-/Package-Instruct when an endpoint is
configured. Every sample names its source file (repo, path and the lines it came from) and the file's
licence.

Rows in are attempts: one per (file, kind) tried and one per LLM seed. An attempt yields samples (kept)
or a lineage drop saying why it yielded none (no_logic_block, unparsable_file, file_too_large,
no_documented_function, llm_answer_unusable, tests_failed, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pyarrow as pa

from codelake.ids import doc_id
from codelake.lake import Lake, LineageSpool
from codelake.lake.sql import ConnectionFactory, connect
from codelake.llm import LLMSession
from codelake.report import StageReport
from codelake.sandbox import Sandbox
from codelake.sft_raw.schema import SFT_VERIFIED_SCHEMA
from codelake.sft_synth.docstrings import docstring_samples
from codelake.sft_synth.fim import fim_samples
from codelake.sft_synth.llm_instruct import llm_samples
from codelake.sft_synth.rules import SynthRules
from codelake.sft_synth.samples import SYNTH_DUMP

STAGE = "sft_synth"


def _files(lake: Lake, upstream: str, languages: list[str], connections: ConnectionFactory | None, batch_rows: int,
           max_files: int = 0) -> Iterator[list[dict]]:
    con = connect(lake, connections=connections)
    try:
        license_join = "LEFT JOIN (SELECT doc_id, license FROM raw_files) r USING (doc_id)" if lake.exists("raw_files") else ""
        license_column = "r.license" if license_join else "NULL::VARCHAR AS license"
        reader = con.execute(
            f"SELECT c.doc_id, c.repo, c.path, c.language, c.text, {license_column} FROM {upstream} c {license_join} "
            "WHERE c.language IN (SELECT unnest($languages))"
            # a cap per language (for demos and trials): the first files by doc id, so the same lake gives the same sample
            + (f" QUALIFY row_number() OVER (PARTITION BY c.language ORDER BY c.doc_id) <= {int(max_files)}" if max_files else ""),
            {"languages": languages},
        ).to_arrow_reader(batch_rows)
        for batch in reader:
            yield batch.to_pylist()
    finally:
        con.close()


def run_sft_synth(
    lake: Lake, rules: SynthRules | None = None, upstream: str = "code_corpus", llm: LLMSession | None = None, sandbox: Sandbox | None = None,
    connections: ConnectionFactory | None = None, log: Callable[[str], None] = print, batch_rows: int = 500, max_files_per_language: int = 0,
) -> StageReport:
    rules = rules or SynthRules.load()
    if not lake.exists(upstream):
        raise FileNotFoundError(f"{lake.table_path(upstream)}: no {upstream} table yet")
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    by_kind: Counter = Counter()
    python_files: list[dict] = []  # candidates for the LLM seeds
    seed_pool = 10 * rules.llm["educational_seeds"]

    def attempt(kind: str, file: dict, samples: list[dict], why: str | None) -> list[dict]:
        if not samples:
            lineage.record(doc_id(SYNTH_DUMP, f"{kind}:{file['doc_id']}", "none"), "drop", why, f"{kind}: {why}", SYNTH_DUMP, file["repo"], file["path"])
            report.dropped(why, 0)
            by_kind[(kind, why)] += 1
        for sample in samples:
            report.kept(sample["language"], sample["size"])
            by_kind[(kind, "kept")] += 1
        return samples

    def rows() -> Iterator[pa.RecordBatch]:
        for files in _files(lake, upstream, sorted(rules.fim_languages), connections, batch_rows, max_files_per_language):
            out: list[dict] = []
            for file in files:
                out += attempt("fim", file, *fim_samples(file, rules.fim_languages[file["language"]], rules))
                if file["language"] == "Python":
                    out += attempt("docstring", file, *docstring_samples(file, rules))
                    if llm is not None:
                        python_files.append(file)
                        if len(python_files) >= 2 * seed_pool:  # the lowest doc ids: the same seeds whatever order the scan gives
                            python_files[:] = sorted(python_files, key=lambda f: f["doc_id"])[:seed_pool]
            if out:
                yield pa.RecordBatch.from_pylist(out, schema=SFT_VERIFIED_SCHEMA)
        if llm is None:
            log("sft_synth: (c) Educational-/Package-Instruct SKIPPED: no LLM endpoint configured (set $CODELAKE_LLM_BASE_URL and "
                "$CODELAKE_LLM_MODEL, or the llm resource); (a) FIM and (b) docstring samples were made")
            return
        out = []
        seeds = sorted(python_files, key=lambda f: f["doc_id"])[:seed_pool]
        for sample, kind, why, seed_file in llm_samples(llm, sandbox, seeds, rules):
            out += attempt(kind, seed_file, [sample] if sample else [], why or None)
        if out:
            yield pa.RecordBatch.from_pylist(out, schema=SFT_VERIFIED_SCHEMA)

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, rows(), SFT_VERIFIED_SCHEMA)
    finally:
        lineage.discard()
    kinds = sorted({k for k, _ in by_kind})
    report.tables["attempts"] = [
        {"kind": k, "samples": by_kind[(k, "kept")],
         "no_sample": ", ".join(f"{w}={n}" for (kk, w), n in sorted(by_kind.items()) if kk == k and w != "kept") or "none"}
        for k in kinds
    ]
    return report
