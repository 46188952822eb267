import polars as pl
import pytest

from codelake.filtered import compute_signals, decide, load_rules


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture(scope="session")
def judge(rules):
    """judge({doc_id: (language, text[, path])}) -> {doc_id: reasons} (empty list = kept)."""

    def run(files: dict, seed: int = 0) -> dict:
        rows = [
            {"doc_id": k, "language": v[0], "text": v[1], "path": v[2] if len(v) > 2 else k}
            for k, v in files.items()
        ]
        frame = pl.DataFrame(rows, schema={"doc_id": pl.String, "language": pl.String, "text": pl.String, "path": pl.String})
        out = decide(compute_signals(frame), rules, seed)
        return {d: list(r) for d, r in out.select("doc_id", "reasons").iter_rows()}

    return run
