"""synthetic_snippets: Python functions with tests, executed in the sandbox, kept only when the tests pass.

Candidates come from two origins: `mined` (functions of code_corpus with doctests or unit tests, see
mine.py) and `llm` (functions the LLM writes from algorithmic_corpus seeds, see generated.py). Every
candidate has a doc id of its own and ends as a row (status `passed`, with its test count, run time and
the sandbox's isolation) or as a lineage drop whose reason is why: the execution's status (`failed`,
`timeout`, `limit_exceeded`, `crashed`, the detail holding exit code, limit and output tails), or why it
was never run (`not_self_contained`, `non_stdlib_import`, `too_long`, `duplicate_snippet`, `llm_error`,
`budget_exhausted`, `no_code_block`, `syntax_error`, `no_function`, `no_tests`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from codelake.lake import Lake, LineageSpool
from codelake.llm import ChatRequest, LLMFailure, LLMSession, load_prompt
from codelake.report import StageReport
from codelake.sandbox import STATUSES, ExecutionResult, PythonProgram, Sandbox
from codelake.synthetic_snippets.generated import parse_answer
from codelake.synthetic_snippets.mine import mine_candidates
from codelake.synthetic_snippets.rules import SnippetRules

STAGE = "synthetic_snippets"
SYNTHETIC_DUMP = "synthetic"  # the dump (partition) of LLM-written rows: they come from no crawl
SNIPPETS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()), ("origin", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()),
        ("source_doc_id", pa.string()),  # the mined file, or the LLM's seed file
        ("name", pa.string()), ("language", pa.string()), ("size", pa.int64()), ("sha256", pa.string()),
        ("tests", pa.int64()),  # doctest examples, test functions, or assert statements (llm)
        ("status", pa.string()),  # always `passed`: nothing else is kept
        ("seconds", pa.float64()), ("sandbox_isolation", pa.string()),
        ("model", pa.string()),  # the LLM that wrote it (llm rows)
        ("text", pa.large_string()),
    ]
)
OUTPUT_TAIL = 600


def snippet_id(*parts: str) -> str:
    return hashlib.sha256("\0".join((STAGE, *parts)).encode("utf-8", "surrogateescape")).hexdigest()[:32]


@dataclass
class _Candidate:
    doc_id: str
    origin: str  # mined | llm
    dump: str
    repo: str
    path: str
    source_doc_id: str
    name: str
    tests: int
    snippet: str = ""
    program: str = ""
    model: str | None = None


@dataclass
class SnippetRun:
    report: StageReport
    executions: Counter = field(default_factory=Counter)  # (origin, status) -> programs run
    llm_note: str | None = None  # why the LLM part did not run, when it did not
    llm_stats: dict = field(default_factory=dict)

    def execution_summary(self) -> dict[str, int]:
        """ran / passed / failed / timeout / limit_exceeded / crashed over both origins."""
        totals = Counter()
        for (_, status), n in self.executions.items():
            totals[status] += n
        return {"ran": sum(totals.values()), **{s: totals[s] for s in STATUSES}}


class _Snippets:
    def __init__(self, lake: Lake, sandbox: Sandbox, rules: SnippetRules, run: SnippetRun):
        self.lake, self.sandbox, self.rules, self.run = lake, sandbox, rules, run
        self.lineage = LineageSpool(STAGE)
        self.seen: dict[str, str] = {}  # snippet sha256 -> doc id of its first copy
        self.candidates: Counter = Counter()

    def drop(self, c: _Candidate, reason: str, detail: dict | str) -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
        self.lineage.record(c.doc_id, "drop", reason, text, c.dump, c.repo, c.path)
        self.run.report.dropped(reason, len(c.snippet.encode("utf-8", "surrogatepass")))

    def runnable(self, c: _Candidate) -> bool:
        """Exact duplicates (a function in three Python versions' stdlib) run once."""
        self.candidates[c.origin] += 1
        digest = hashlib.sha256(c.snippet.encode("utf-8", "surrogatepass")).hexdigest()
        if digest in self.seen:
            self.drop(c, "duplicate_snippet", {"same_as": self.seen[digest]})
            return False
        self.seen[digest] = c.doc_id
        return True

    # -- mined ------------------------------------------------------------------------------------------
    def mined(self, upstream: str, version: int | None) -> Iterator[_Candidate]:
        if not self.lake.exists(upstream):
            raise FileNotFoundError(f"{self.lake.table_path(upstream)}: no {upstream} table yet")
        dataset = self.lake.dataset(upstream, version)
        wanted = pc.field("language").isin(sorted(self.rules.mined_languages))
        count = 0
        for batch in dataset.to_batches(columns=["doc_id", "dump", "repo", "path", "text"], filter=wanted, batch_size=256):
            for row in batch.to_pylist():
                text = row["text"] or ""
                if ">>>" not in text and "def test" not in text:
                    continue
                for found in mine_candidates(text, self.rules.max_function_chars):
                    if count >= self.rules.max_candidates:
                        return
                    count += 1
                    c = _Candidate(
                        snippet_id("mined", row["doc_id"], found.name), "mined", row["dump"], row["repo"], row["path"],
                        row["doc_id"], found.name, found.tests, found.snippet, found.program,
                    )
                    if found.reject:
                        self.candidates["mined"] += 1
                        self.drop(c, found.reject, found.reject_detail)
                    elif self.runnable(c):
                        yield c

    # -- llm --------------------------------------------------------------------------------------------
    def generated(self, session: LLMSession, seeds_table: str) -> Iterator[_Candidate]:
        if not self.lake.exists(seeds_table):
            self.run.llm_note = f"LLM snippets not generated: no {seeds_table} table to seed the prompts (materialize it first)"
            return
        template = load_prompt(self.rules.prompt)
        dataset = self.lake.dataset(seeds_table)
        ids = sorted(dataset.to_table(columns=["doc_id"]).column("doc_id").to_pylist())[: self.rules.max_seeds]
        seeds = dataset.to_table(columns=["doc_id", "repo", "path", "language", "text"], filter=pc.field("doc_id").isin(ids))
        requests = []
        for seed in sorted(seeds.to_pylist(), key=lambda r: r["doc_id"]):
            messages = template.messages(language=seed["language"], path=f"{seed['repo']}/{seed['path']}", code=(seed["text"] or "")[: self.rules.seed_chars])
            for sample in range(self.rules.samples_per_seed):
                # a sample index beyond the first changes the request (and its cache key) through the seed parameter
                params = {**template.params, **({"seed": sample} if sample else {})}
                c = _Candidate(snippet_id("llm", seed["doc_id"], template.name, str(sample)), "llm", SYNTHETIC_DUMP, seed["repo"], seed["path"], seed["doc_id"], "", 0)
                requests.append((c, ChatRequest(messages, params, prompt=template.name)))
        for c, answer in session.complete_many(requests):
            c.model = session.settings.model
            if isinstance(answer, LLMFailure):
                self.candidates["llm"] += 1
                self.drop(c, answer.reason, answer.message)
                continue
            parsed = parse_answer(answer.text, self.rules.min_asserts)
            c.name, c.tests, c.snippet, c.program = parsed.name, parsed.tests, parsed.snippet, parsed.program
            if parsed.reject:
                self.candidates["llm"] += 1
                self.drop(c, parsed.reject, {"detail": parsed.reject_detail, "answer_head": answer.text[:OUTPUT_TAIL]})
            elif self.runnable(c):
                yield c
        self.run.llm_stats = session.stats.as_metadata()

    # -- execution --------------------------------------------------------------------------------------
    def rows(self, candidates: Iterator[_Candidate], batch_rows: int = 256) -> Iterator[pa.RecordBatch]:
        rows = []
        programs = ((c, PythonProgram(c.program)) for c in candidates)
        for c, result in self.sandbox.run_many(programs):
            self.run.executions[(c.origin, result.status)] += 1
            if not result.passed:
                self.drop(c, result.status, _result_detail(result))
                continue
            data = c.snippet.encode("utf-8", "surrogatepass")
            self.run.report.kept("Python", len(data))
            rows.append({
                "doc_id": c.doc_id, "origin": c.origin, "dump": c.dump, "repo": c.repo, "path": c.path, "source_doc_id": c.source_doc_id,
                "name": c.name, "language": "Python", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "tests": c.tests,
                "status": result.status, "seconds": result.seconds, "sandbox_isolation": result.isolation, "model": c.model, "text": c.snippet,
            })
            if len(rows) >= batch_rows:
                yield pa.RecordBatch.from_pylist(rows, schema=SNIPPETS_SCHEMA)
                rows = []
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=SNIPPETS_SCHEMA)


def _result_detail(result: ExecutionResult) -> dict:
    return {
        "status": result.status, "exit_code": result.exit_code, "signal": result.signal_name, "limit": result.limit,
        "seconds": result.seconds, "isolation": result.isolation, "error": result.error,
        "stdout_tail": result.stdout[-OUTPUT_TAIL:], "stderr_tail": result.stderr[-OUTPUT_TAIL:],
    }


def run_synthetic_snippets(
    lake: Lake,
    sandbox: Sandbox,
    rules: SnippetRules | None = None,
    session: LLMSession | None = None,
    llm_skipped: str | None = None,
    upstream: str = "code_corpus",
    upstream_version: int | None = None,
    seeds_table: str = "algorithmic_corpus",
) -> SnippetRun:
    """Mine, generate (when `session` is given; otherwise `llm_skipped` says why not), execute, keep what passes."""
    rules = rules or SnippetRules.load()
    run = SnippetRun(StageReport(STAGE), llm_note=None if session else llm_skipped or "LLM snippets not generated: no session")
    work = _Snippets(lake, sandbox, rules, run)

    def candidates() -> Iterator[_Candidate]:
        yield from work.mined(upstream, upstream_version)
        if session is not None:
            yield from work.generated(session, seeds_table)

    try:
        run.report.version, run.report.lineage_version = work.lineage.commit_with_table(lake, work.rows(candidates()), SNIPPETS_SCHEMA)
    finally:
        work.lineage.discard()
    run.report.tables["executions"] = [
        {"origin": origin, "candidates": work.candidates[origin], **{s: run.executions[(origin, s)] for s in STATUSES}}
        for origin in ("mined", "llm")
    ]
    return run
