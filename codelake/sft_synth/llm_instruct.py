"""(c) LLM-written instructions, OpenCoder style: Educational-Instruct (a code seed -> an exercise, its
solution and tests; run in the sandbox, only passing samples kept) and Package-Instruct (a library
function's PyDoc -> a question answered with that function). Only with an LLM endpoint configured.

Answers must have the template's `### Instruction` / `### Response` (/ `### Tests`) sections and Python
that parses; any other answer is a recorded drop, never a sample.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator

from codelake.llm import ChatRequest, LLMFailure, LLMSession, load_prompt
from codelake.sandbox import PythonProgram, Sandbox
from codelake.sft_raw.code_blocks import code_blocks
from codelake.sft_synth.rules import SynthRules
from codelake.sft_synth.samples import seeded_rank, synth_row
from codelake.sft_verified.parse import parse_python

_SECTION = re.compile(r"^###\s*(Instruction|Response|Tests)\s*$", re.MULTILINE)


def sections(text: str) -> dict[str, str]:
    found = list(_SECTION.finditer(text))
    return {m.group(1).lower(): text[m.end(): found[i + 1].start() if i + 1 < len(found) else len(text)].strip() for i, m in enumerate(found)}


def _python(text: str) -> list[str]:
    return [b.code for b in code_blocks(text) if b.tag in ("python", "py", "python3")]


def package_seeds(modules: list[str], limit: int, seed: int) -> list[dict]:
    """Documented public functions of `modules` (their current PyDoc), `limit` of them by a seeded hash."""
    seeds = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, value in sorted(vars(module).items()):
            if attr.startswith("_") or not callable(value) or getattr(value, "__module__", None) not in (name, f"_{name}"):
                continue
            doc = inspect.getdoc(value)
            if doc and len(doc) > 80:
                seeds.append({"doc_id": f"pydoc:{name}.{attr}", "repo": "python-stdlib", "path": f"{name}.{attr}", "license": "PSF-2.0",
                              "name": f"{name}.{attr}", "doc": doc[:3000]})
    return sorted(seeds, key=lambda s: seeded_rank(seed, s["name"]))[:limit]


def llm_samples(session: LLMSession, sandbox: Sandbox | None, python_files: list[dict], rules: SynthRules) -> Iterator[tuple[dict | None, str, str, dict]]:
    """(sample or None, kind, reason when None, seed file) for every seed prompted."""
    cfg = rules.llm
    educational, package = load_prompt("sft_educational"), load_prompt("sft_package")
    edu_seeds = sorted(python_files, key=lambda f: seeded_rank(rules.seed, "educational", f["doc_id"]))[: cfg["educational_seeds"]]
    requests = [(("educational", f), ChatRequest(educational.messages(code=f["text"][:4000]), educational.params, educational.name)) for f in edu_seeds]
    pkg = package_seeds(cfg.get("package_modules", []), cfg["package_seeds"], rules.seed)
    requests += [(("package", s), ChatRequest(package.messages(name=s["name"], doc=s["doc"]), package.params, package.name)) for s in pkg]
    pending_tests = []
    for (kind, seed_file), answer in session.complete_many(requests):
        if isinstance(answer, LLMFailure):
            yield None, kind, answer.reason, seed_file
            continue
        parts = sections(answer.text)
        instruction, response = parts.get("instruction"), parts.get("response")
        code = _python(response or "")
        if not instruction or not response or not code:
            yield None, kind, "llm_answer_unusable", seed_file
            continue
        if not all(parse_python(block).ok for block in code):
            yield None, kind, "unparsable_code", seed_file
            continue
        anchor = f"{kind}:{seeded_rank(rules.seed, answer.text)}"
        if kind == "package":
            yield synth_row("package", seed_file, anchor, cfg["stage"], "python", instruction, response), kind, "", seed_file
            continue
        tests = _python(parts.get("tests", "")) or []
        if not tests or not all(parse_python(t).ok for t in tests):
            yield None, kind, "no_tests", seed_file
            continue
        pending_tests.append((seed_file, anchor, instruction, response, code, tests))
    if not pending_tests:
        return
    if sandbox is None:
        for seed_file, *_ in pending_tests:
            yield None, "educational", "no_sandbox", seed_file
        return
    programs = [(i, PythonProgram("\n\n".join(code + tests) + "\n")) for i, (_, _, _, _, code, tests) in enumerate(pending_tests)]
    for i, result in sandbox.run_many(programs):
        seed_file, anchor, instruction, response, _, tests = pending_tests[i]
        if result.passed:
            yield (synth_row("educational", seed_file, anchor, cfg["stage"], "python", instruction, response, tests=tests,
                             execution="passed", execution_detail=result.summary()), "educational", "", seed_file)
        else:
            yield None, "educational", f"tests_{result.status}", seed_file
