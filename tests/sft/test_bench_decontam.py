"""bench/decontam.py runs on a small sample and finds the same matches both ways."""

from bench.decontam import main


def test_bench_decontam_identical_matches(tmp_path, capsys):
    assert main(["--samples", "300", "--repeats", "1", "--benchmarks", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "identical matches: True" in out and "speed-up, one thread" in out
