"""bench/filter_opc.py + bench/opc_released.py: the comparison with OpenCoder's released filter.

Without a checkout the runner is driven against a stand-in package with the released interfaces
(pipeline.compute_quality_signals, pipeline.compute_filtering, utils.preprocessing); the real
checkout runs only when OPC_ROOT names one whose virtualenv exists (OPC_VENV, default .venv-opc).
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from bench.filter import collect
from bench.filter_opc import RUNNER, bench_against_released, certain, compare_with_released, opc_profile, opc_rows, run_codelake
from codelake.filtered import load_rules

ROOT = Path(__file__).resolve().parents[2]

STAND_IN = {
    "utils/__init__.py": "",
    "utils/preprocessing.py": """
        def get_program_lang(filename, extension):
            return {"py": "python", "md": "markdown", "csv": "csv"}.get(extension, "unknown")
        def get_doc_type(program_lang):
            return {"python": "code", "markdown": "text", "csv": "excluded"}.get(program_lang, "unknown")
    """,
    "pipeline/__init__.py": "",
    "pipeline/compute_quality_signals.py": """
        import json
        class ComputeCodeQualitySignal:
            def evaluate(self, text, filename, lang, ext, file_size_in_byte, program_lang, doc_type):
                qs = {"qsc_code_num_chars": float(len(text)), "qsc_codepython_score_lines_no_logic": 0.9}
                return json.dumps({"quality_signal": json.dumps(qs), "pre_hit": "0"})
    """,
    "pipeline/compute_filtering.py": """
        import json, random
        class CodeFilter:
            def evaluate(self, doc_type, lang, program_lang, quality_signal):
                qs = json.loads(quality_signal)
                hits = {"qsc_code_num_chars": int(qs["qsc_code_num_chars"] < 50),
                        "qsc_codepython_score_lines_no_logic": int(qs["qsc_codepython_score_lines_no_logic"] > 0.5 and random.random() > 0.2)}
                return json.dumps({"effective": str(int(not any(hits.values()))), "hit_map": json.dumps(hits)})
    """,
}


@pytest.fixture
def stand_in(tmp_path) -> Path:
    root = tmp_path / "opc"
    for name, body in STAND_IN.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(body))
    return root


def _frame(rows):
    return pl.DataFrame(rows, schema={"doc_id": pl.String, "language": pl.String, "text": pl.String, "path": pl.String, "size": pl.Int64})


def test_rows_have_the_notebook_attributes():
    frame = _frame([{"doc_id": "a", "language": "Python", "text": "x = 1\n", "path": "/src/pkg/mod.py", "size": 6},
                    {"doc_id": "b", "language": "Makefile", "text": "all:\n", "path": "/src/Makefile", "size": 5}])
    rows = opc_rows(frame)
    assert rows[0] == {"doc_id": "a", "text": "x = 1\n", "filename": "mod", "ext": "py", "size": 6, "lang": "en"}
    assert (rows[1]["filename"], rows[1]["ext"]) == ("Makefile", "")


def test_released_routing_maps_to_profiles():
    assert opc_profile("python", "code") == "python"
    assert opc_profile("shell", "code") == "shell"
    assert opc_profile("yaml", "data") == "data"
    assert opc_profile("rust", "code") == "others"
    assert opc_profile("markdown", "text") == "en"
    assert opc_profile("csv", "excluded") == "excluded"
    assert opc_profile("unknown", "unknown") == "excluded"


def test_certain_rules_have_probability_one():
    rules = load_rules()
    assert any(r.probability < 1 for r in rules.rules)
    made = certain(rules)
    assert all(r.probability == 1.0 for r in made.rules)
    assert [r.name for r in made.rules] == [r.name for r in rules.rules]


@pytest.mark.parametrize("mode", ["certain", "seed"])
def test_runner_drives_the_released_interfaces(stand_in, tmp_path, mode):
    corpus = tmp_path / "in.jsonl"
    rows = [{"doc_id": "short", "text": "x = 1\n", "filename": "a", "ext": "py", "size": 6, "lang": "en"},
            {"doc_id": "long", "text": "y = 2\n" * 20, "filename": "b", "ext": "py", "size": 120, "lang": "en"},
            {"doc_id": "table", "text": "a,b\n", "filename": "c", "ext": "csv", "size": 4, "lang": "en"}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, str(RUNNER), "--opc-root", str(stand_in), "--corpus", str(corpus), "--out", str(out),
                           "--random", mode, "--seed", "3"], capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["files"] == 3 and summary["total_s"] >= 0 and summary["random"] == mode
    result = {r["doc_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert result["short"]["program_lang"] == "python" and result["short"]["doc_type"] == "code"
    assert result["short"]["hit_map"]["qsc_code_num_chars"] == 1 and result["short"]["effective"] is False
    assert result["table"]["doc_type"] == "excluded"
    assert json.loads(result["long"]["quality_signal"])["qsc_code_num_chars"] == 120.0
    if mode == "certain":  # random.random() > 0.2 always holds: the probabilistic rule's condition decides
        assert result["long"]["hit_map"]["qsc_codepython_score_lines_no_logic"] == 1


def test_agreement_counts_rules_and_decisions():
    frame = collect(60, seed=2)
    rules = certain(load_rules())
    _, signals, decisions = run_codelake(frame, rules, seed=0, workers=1)
    assert decisions.height == frame.height
    from codelake.filtered.decide import hits

    fired = hits(signals, rules, 0)
    signal_of = {r.name: r.signal for r in rules.enabled}
    routes = {"en": ("markdown", "text"), "excluded": ("unknown", "unknown"), "data": ("json", "data"), "others": ("rust", "code")}
    released = {}
    for row in fired.join(decisions.select("doc_id", "keep"), on="doc_id").join(signals.select("doc_id", "profile"), on="doc_id").iter_rows(named=True):
        hit_map = {signal_of[n]: 1 for n in fired.columns if n != "doc_id" and row[n]}
        released[row["doc_id"]] = {"program_lang": routes.get(row["profile"], (row["profile"], "code"))[0],
                                   "doc_type": routes.get(row["profile"], (row["profile"], "code"))[1],
                                   "effective": row["keep"], "hit_map": hit_map, "err_msg": {}, "quality_signal": "{}"}
    same = compare_with_released(frame, signals, decisions, released, rules, 0, "certain")
    assert same["decision_agreement"] == 1.0 and same["routing_agreement"] == 1.0
    assert all(r["released_only"] == r["codelake_only"] == 0 for r in same["per_rule"].values())

    kept = next(d for d, r in released.items() if r["effective"])
    released[kept] = {**released[kept], "effective": False, "hit_map": {**released[kept]["hit_map"], "qsc_code_num_words": 1}}
    one_off = compare_with_released(frame, signals, decisions, released, rules, 0, "certain")
    assert one_off["decisions_differ"] == 1
    assert one_off["per_rule"]["qsc_code_num_words"]["released_only"] == 1
    assert one_off["examples"]["qsc_code_num_words"][0]["doc_id"] == kept


@pytest.mark.skipif(not os.environ.get("OPC_ROOT"), reason="OPC_ROOT (a checkout of OpenCoder-llm/opc_data_filtering) not set")
def test_released_filter_checkout_runs(tmp_path):
    root = Path(os.environ["OPC_ROOT"])
    venv = Path(os.environ.get("OPC_VENV", ROOT / ".venv-opc"))
    if not (venv / "bin" / "python").exists():
        pytest.skip(f"{venv}: no virtualenv for the released filter (python -m bench.filter --opc-root makes it)")
    frame = collect(30, seed=4)
    result = bench_against_released(frame, load_rules(), root, venv, tmp_path, workers=1)
    assert len(result["opc_commit"]) == 40
    assert result["files_compared"] == frame.height
    assert result["released"]["files"] == frame.height and result["speed_ratio"] > 0
    assert 0 <= result["decision_agreement"] <= 1 and result["per_rule"]
