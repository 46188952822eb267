from __future__ import annotations

from codelake.cli.main import main
from codelake.ids import doc_id
from dumpfactory import small_repos, write_dir_dump


def test_run_stats_and_why_tell_a_files_story(tmp_path, capsys):
    repos = small_repos()
    repos["alice__tools"]["blob.py"] = b"\0\0binary"
    dump = write_dir_dump(tmp_path / "dump-cli", repos)
    lake = str(tmp_path / "lake")
    assert main(["run", "raw_files", "--input", str(dump), "--output", lake]) == 0
    assert main(["run", "exact_dedup", "--input", lake, "--output", lake]) == 0
    capsys.readouterr()
    assert main(["--lake", lake, "stats"]) == 0
    out = capsys.readouterr().out
    assert "raw_files" in out and "binary" in out and "exact_duplicate" in out
    # the fork's copy of util.py lost to alice's (more stars): why names the survivor
    assert main(["--lake", lake, "why", "bob/fork/lib/util.py"]) == 0
    out = capsys.readouterr().out
    survivor = doc_id("dump-cli", "alice__tools", "tools/util.py")
    assert "exact_duplicate" in out and survivor in out and "alice/tools/tools/util.py" in out
    assert main(["--lake", lake, "why", doc_id("dump-cli", "alice__tools", "blob.py")]) == 0
    out = capsys.readouterr().out
    assert "binary" in out and "NUL byte at offset 0" in out
    assert main(["--lake", lake, "why", "nobody/nothing.py"]) == 1


def test_run_reports_bad_dumps_clearly(tmp_path, capsys):
    junk = tmp_path / "dump-junk.zip"
    junk.write_bytes(b"PK not really")
    assert main(["run", "raw_files", "--input", str(junk), "--output", str(tmp_path / "lake")]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_run_every_code_stage_and_redecide_with_edited_rules(tmp_path):
    """The whole code graph runs from the CLI; `run filtered --rules` re-decides from the stored signals."""
    import shutil

    from codelake.filtered.rules import DEFAULT_DIR
    from codelake.lake import Lake
    from codelake.lake.sql import connect

    dump = write_dir_dump(tmp_path / "dump-cli", small_repos())
    lake = str(tmp_path / "lake")
    assert main(["run", "raw_files", "--input", str(dump), "--output", lake]) == 0
    for stage in ("exact_dedup", "fuzzy_dedup", "transformed", "filter_signals", "filtered", "code_corpus"):
        assert main(["run", stage, "--input", lake, "--output", lake]) == 0, stage

    def drops(reason: str) -> int:
        con = connect(Lake(lake))
        try:
            return con.execute(
                "SELECT count(*) FROM lineage WHERE stage = 'filtered' AND reason = $r AND version = "
                "(SELECT max(version) FROM lineage WHERE stage = 'filtered')", {"r": reason}
            ).fetchone()[0]
        finally:
            con.close()

    assert drops("code_num_words_min") > 0  # the tiny test files have fewer than 30 words
    signals_version = Lake(lake).version("filter_signals")
    rules = tmp_path / "my-rules"
    shutil.copytree(DEFAULT_DIR, rules)
    code = (rules / "code.yaml").read_text()
    edited = code.replace("signal: qsc_code_num_words\n  op: <\n  threshold: 30", "signal: qsc_code_num_words\n  op: <\n  threshold: 0")
    assert edited != code
    (rules / "code.yaml").write_text(edited)
    assert main(["run", "filtered", "--input", lake, "--output", lake, "--rules", str(rules)]) == 0
    assert drops("code_num_words_min") == 0
    assert Lake(lake).version("filter_signals") == signals_version  # no file was read again
    assert main(["run", "code_corpus", "--input", lake, "--output", lake, "--rules", str(tmp_path / "missing.yaml")]) == 2
