"""sft_synth (FIM from tree-sitter logic blocks, docstring pairs, LLM skipped or used), then
sft_decontaminated and the two stages through Dagster: rules, exact and near duplicates, chat files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
from dagster import DagsterInstance, materialize

from assets.code import code_corpus
from assets.sft import sft_decontaminated, sft_raw, sft_stage1, sft_stage2, sft_synth, sft_verified
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.sft_synth import SynthRules, run_sft_synth
from codelake.sft_synth.fim import fim_samples
from corpusfactory import CORPUS_SCHEMA, corpus_rows, write_corpus
from instructionfactory import chat, python_answer, write_set
from resources import LakeDuckDBResource, LakeResource, SandboxResource
from resources.llm import LLMResource

RULES = SynthRules.load()
TUPLES = (
    "A tuple is an immutable ordered sequence of values. You write it with commas, usually inside parentheses, and you read "
    "its items by index or by unpacking. Because it cannot change, a tuple of hashable items is itself hashable, so it can be "
    "a dictionary key or a set member. Use tuples for fixed records such as coordinates, dates or database records, and "
    "lists for collections that grow; named tuples add field names to records without any cost in memory or speed."
)
JS = "function total(xs) {\n  let s = 0;\n  for (const x of xs) {\n    s += x;\n  }\n  return s;\n}\n"


def test_fim_masks_a_logic_block_that_the_answer_restores():
    file = {"doc_id": "d", "repo": "o/r", "path": "sum.js", "language": "JavaScript", "text": JS, "license": "MIT"}
    samples, why = fim_samples(file, RULES.fim_languages["JavaScript"], RULES)
    assert why is None and len(samples) == 1
    user, answer = (t["content"] for t in samples[0]["messages"])
    shown = user.split("```javascript\n", 1)[1].rsplit("\n```", 1)[0]
    middle = answer.removeprefix("```javascript\n").removesuffix("\n```")
    assert shown.replace("<FILL_ME>", middle) == JS.rstrip("\n") or shown.replace("<FILL_ME>", middle) == JS
    assert samples[0]["path"].startswith("sum.js#L") and samples[0]["license"] == "MIT" and samples[0]["stage"] == RULES.fim["stage"]
    broken = {**file, "text": "function (("}
    assert fim_samples(broken, RULES.fim_languages["JavaScript"], RULES) == ([], "unparsable_file")


def test_synth_from_a_corpus_without_an_llm_says_c_is_skipped(tmp_path):
    lake = Lake(tmp_path / "lake")
    write_corpus(lake, first=8, second=0)
    said = []
    report = run_sft_synth(lake, log=said.append)
    assert any("SKIPPED" in line and "CODELAKE_LLM_BASE_URL" in line for line in said)
    con = connect(lake)
    kinds = dict(con.execute("SELECT format, count(*) FROM sft_synth GROUP BY 1").fetchall())
    assert kinds.get("fim", 0) > 0 and kinds.get("docstring", 0) > 0
    assert report.rows_in == report.rows_kept + report.rows_dropped
    row = con.execute("SELECT repo, path, record_id FROM sft_synth WHERE format = 'docstring' LIMIT 1").fetchone()
    assert row[0] == "python/cpython" and "#L" in row[1] and len(row[2]) == 32  # traceable to the code_corpus file
    con.close()


def test_synth_with_an_llm_endpoint_keeps_only_tested_educational_samples(tmp_path):
    sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))
    from fake_openai import FakeOpenAI

    def responder(messages):
        prompt = messages[-1]["content"]
        if "documentation of" in prompt:
            return "### Instruction\nParse JSON text.\n\n### Response\nUse json.loads:\n```python\nimport json\nprint(json.loads('[1]'))\n```"
        good = "Inspired" not in prompt  # every educational answer is the same; half pass by the seed's text
        return ("### Instruction\nWrite double(x).\n\n### Response\n```python\ndef double(x):\n    return 2 * x\n```\n\n"
                f"### Tests\n```python\nassert double(2) == {4 if good else 5}\n```")

    lake = Lake(tmp_path / "lake")
    write_corpus(lake, first=3, second=0)
    rules = SynthRules(RULES.seed, RULES.fim, RULES.fim_languages, RULES.docstring,
                       {**RULES.llm, "educational_seeds": 2, "package_seeds": 1, "package_modules": ["json"]})
    from codelake.llm import LLMSession, LLMSettings, ResponseCache
    from codelake.sandbox import Sandbox

    with FakeOpenAI(responder) as server:
        settings = LLMSettings(base_url=server.base_url, model="m", api_key="k", concurrency=2, timeout_seconds=5, max_retries=1,
                               backoff_seconds=0.01, max_backoff_seconds=0.05, token_budget=100_000, max_tokens=256)
        report = run_sft_synth(lake, rules, llm=LLMSession(settings, ResponseCache(lake)), sandbox=Sandbox(isolation="none"), log=lambda m: None)
    con = connect(lake)
    llm_rows = con.execute("SELECT format, execution FROM sft_synth WHERE format IN ('educational', 'package') ORDER BY 1").fetchall()
    assert llm_rows == [("educational", "passed"), ("educational", "passed"), ("package", "no_tests")]
    assert report.rows_in == report.rows_kept + report.rows_dropped
    con.close()


def test_the_llm_seed_files_do_not_depend_on_the_order_the_corpus_is_stored_in(tmp_path):
    """The educational seeds are the Python files with the lowest doc ids, whatever order the scan returns:
    the same files (same doc ids) stored in two partitions, the halves swapped between them and committed in the
    opposite order, get the same prompts."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "llm"))
    from fake_openai import FakeOpenAI

    from codelake.llm import LLMSession, LLMSettings, ResponseCache
    from codelake.sandbox import Sandbox

    rows = corpus_rows("d1", 24)
    rules = SynthRules(RULES.seed, RULES.fim, RULES.fim_languages, RULES.docstring,
                       {**RULES.llm, "educational_seeds": 1, "package_seeds": 0, "package_modules": []})
    prompts: dict[str, list[str]] = {}
    for name, first_half_in in (("first_half_in_a", "a"), ("first_half_in_b", "b")):
        lake = Lake(tmp_path / name)
        other = "b" if first_half_in == "a" else "a"
        stored = [{**row, "dump": first_half_in if i < 12 else other} for i, row in enumerate(rows)]
        for half in (stored[:12], stored[12:]) if first_half_in == "a" else (stored[12:], stored[:12]):
            lake.write("code_corpus", [pa.RecordBatch.from_pylist(half, schema=CORPUS_SCHEMA)], CORPUS_SCHEMA, partition_by=["dump"], append=True)
        seen: list[str] = []

        def responder(messages, seen=seen):
            seen.append(messages[-1]["content"])
            return "no sample here"

        with FakeOpenAI(responder) as server:
            settings = LLMSettings(base_url=server.base_url, model="m", api_key="k", concurrency=1, timeout_seconds=5, max_retries=1,
                                   backoff_seconds=0.01, max_backoff_seconds=0.05, token_budget=100_000, max_tokens=64)
            run_sft_synth(lake, rules, llm=LLMSession(settings, ResponseCache(lake)), sandbox=Sandbox(isolation="none"), log=lambda m: None,
                          batch_rows=5)
        prompts[name] = sorted(seen)
    assert prompts["first_half_in_a"] and prompts["first_half_in_a"] == prompts["first_half_in_b"]


def test_the_sft_graph_through_dagster_writes_both_stages_for_the_trainer(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("CODELAKE_HOME", str(home))
    landing = home / "landing" / "instructions"
    add = "def add(a, b):\n    return a + b"
    write_set(landing, "stage1", "broad", {"a.jsonl": [
        chat("What is a list?", "An ordered, mutable sequence."),
        chat("What is a list?", "An ordered,   mutable sequence."),  # exact duplicate once whitespace is collapsed
        chat("Explain tuples in Python", TUPLES),
        chat("Explain tuples in Python", TUPLES.replace("coordinates", "points")),  # a near duplicate: one word changed
    ]})
    leaked = json.loads(json.dumps(chat("Finish this", python_answer('def has_close_elements(numbers, threshold):\n    return False'))))
    write_set(landing, "stage2", "code", {"b.jsonl": [
        {**chat("add", python_answer(add)), "tests": ["assert add(1, 2) == 3"]},
        {**chat("add wrong", python_answer(add)), "tests": ["assert add(1, 2) == 4"]},
        chat("prose only", "No code here."),
        leaked,
    ]})
    lake = Lake(tmp_path / "lake")
    lake.write("code_corpus", [pa.RecordBatch.from_pylist(corpus_rows("d1", 3), schema=CORPUS_SCHEMA)], CORPUS_SCHEMA, partition_by=["dump"])
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("instruction_sets", ["stage1.broad", "stage2.code"])
    resources = {"lake": LakeResource(root=str(lake.root)), "duckdb": LakeDuckDBResource(), "sandbox": SandboxResource(isolation="none"),
                 "llm": LLMResource(base_url="", model="")}
    for key in ("stage1.broad", "stage2.code"):
        assert materialize([sft_raw], partition_key=key, instance=instance, resources=resources).success
    graph = [code_corpus, sft_raw, sft_verified, sft_synth, sft_decontaminated, sft_stage1, sft_stage2]
    for asset in (sft_verified, sft_synth, sft_decontaminated, sft_stage1, sft_stage2):
        result = materialize(graph, selection=[asset], instance=instance, resources=resources)
        assert result.success
        assert all(c.passed for c in result.get_asset_check_evaluations()), asset.key
        metadata = result.asset_materializations_for_node(asset.key.to_user_string())[0].metadata
        if asset is sft_decontaminated:
            assert "benchmark_entry_point" in metadata["drops_by_reason"].value and "HumanEval/0" in metadata["hits_sample"].value
        if asset is sft_stage1:
            assert "exact_duplicate" in metadata["drops_by_reason"].value and "near_duplicate" in metadata["drops_by_reason"].value
            assert "synth:docstring" in metadata["by_source_and_language"].value
        if asset is sft_stage2:
            drops = metadata["drops_by_reason"].value
            assert "tests_failed" in drops and "no_code" in drops
    con = connect(lake)
    why = json.loads(con.execute("SELECT detail FROM lineage WHERE stage = 'sft_decontaminated'").fetchone()[0])
    assert why == {"benchmark": "humaneval", "item_id": "HumanEval/0", "match": "entry_point", "entry_point": "has_close_elements"}
    stage2 = [json.loads(line) for line in (home / "corpora" / "sft" / "stage2" / "sft_stage2.jsonl").read_text().splitlines()]
    assert any(r["messages"][0]["content"] == "add" for r in stage2) and not any(r["messages"][0]["content"] == "add wrong" for r in stage2)
    stage1 = (home / "corpora" / "sft" / "stage1" / "sft_stage1.jsonl").read_text().splitlines()
    assert sum("What is a list?" in line for line in stage1) == 1
    assert con.execute("SELECT count(*) FROM sft_stage1").fetchone()[0] == len(stage1)
    con.close()
    # the HF datasets export loads back with `datasets`, messages intact
    from datasets import load_dataset

    exported = load_dataset("parquet", data_dir=str(home / "exports" / "sft" / "stage2" / "data"), split="train")
    assert len(exported) == len(stage2) and exported[0]["messages"][0]["role"] == "user"
