"""bench/python_parse on a small slice of the standard library: every candidate timed, counts compared."""

from __future__ import annotations

from bench.python_parse import CANDIDATES, main


def test_python_parse_bench_times_every_candidate_and_compares_counts(capsys):
    assert main(["--max-mb", "0.3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for name in CANDIDATES:
        assert f"  {name} " in out
    files = int(out.split(" Python files")[0])
    assert files > 10
    assert f"{files} files compared, 0 differed" in out
