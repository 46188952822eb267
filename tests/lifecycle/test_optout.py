"""Opt-out requests: parsed with errors naming the file, applied at ingestion and to ingested files, shown by `codelake why`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codelake.cli.main import main as cli
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.lifecycle.optout import OptOutList, glob_regex, optout_fingerprint
from codelake.exact_dedup import run_exact_dedup
from codelake.raw_files import run_raw_files
from codelake.rules import RuleFileError
from lifecycle_dumps import write_two_dumps

ROOT = Path(__file__).resolve().parents[2]


def _requests(tmp_path: Path, requests: list[dict], name: str = "optout.yaml") -> OptOutList:
    rules = tmp_path / name
    rules.write_text(json.dumps({"requests": requests}))
    return OptOutList.load(rules, dropbox=tmp_path / "no-dropbox")


def _lineage(lake: Lake, stage: str) -> list[tuple]:
    con = connect(lake)
    try:
        return con.execute("SELECT repo, path, reason, detail FROM lineage WHERE stage = $s AND reason = 'opted_out' ORDER BY path", {"s": stage}).fetchall()
    finally:
        con.close()


def test_glob_semantics_agree_in_python_and_duckdb():
    import duckdb

    cases = {
        "owner/*": ["owner/x", "owner/x/y", "other/x"],
        "**/*.py": ["a.py", "a/b/c.py", "a/b/c.pyc"],
        "docs/**": ["docs/a", "docs/a/b", "doc/a"],
        "src/?.c": ["src/a.c", "src/ab.c", "src/a/c"],
        "we.ird+(name)[1]": ["we.ird+(name)[1]", "weXird+(name)[1]"],
    }
    con = duckdb.connect()
    import re

    for pattern, names in cases.items():
        regex = glob_regex(pattern)
        for name in names:
            in_sql = con.execute("SELECT regexp_full_match($n, $r)", {"n": name, "r": regex}).fetchone()[0]
            assert in_sql == bool(re.fullmatch(regex, name)), (pattern, name)
    assert re.fullmatch(glob_regex("owner/*"), "owner/x") and not re.fullmatch(glob_regex("owner/*"), "owner/x/y")
    assert re.fullmatch(glob_regex("**/*.py"), "a.py") and re.fullmatch(glob_regex("**/*.py"), "a/b/c.py")


def test_request_files_are_checked_and_errors_name_the_file(tmp_path):
    dropbox = tmp_path / "dropbox"
    dropbox.mkdir()
    (dropbox / "req-1.json").write_text(json.dumps({"id": "R1", "date": "2024-03-01", "requester": "jane", "repositories": "jane/*"}))
    (dropbox / "req-2.yaml").write_text("id: R2\ndate: 2024-03-02\nrequester: acme\nemails: [ops@acme.example]\n")
    (dropbox / ".partial.yaml").write_text("not: [valid")  # dotfiles are copies in progress
    loaded = OptOutList.load(None, dropbox=dropbox)
    assert [r.id for r in loaded.requests] == ["R1", "R2"] and loaded.requests[0].repositories == ("jane/*",)
    bad = {
        "missing.yaml": ("id: R3\nrequester: x\nrepositories: [a/b]\n", "missing 'date'"),
        "nothing.yaml": ("id: R3\ndate: 2024-01-01\nrequester: x\n", "no 'repositories' and no 'emails'"),
        "paths.yaml": ("id: R3\ndate: 2024-01-01\nrequester: x\npaths: ['*.py']\n", "without 'repositories'"),
        "email.yaml": ("id: R3\ndate: 2024-01-01\nrequester: x\nemails: [nobody]\n", "email address"),
        "typo.yaml": ("id: R3\ndate: 2024-01-01\nrequester: x\nrepos: [a/b]\n", "unknown key"),
        "dup.json": (json.dumps({"id": "R1", "date": "2024-01-01", "requester": "x", "repositories": ["a/b"]}), "already used"),
        "broken.yaml": ("id: [R3\n", "invalid YAML"),
    }
    for name, (text, message) in bad.items():
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        (folder / "req-1.json").write_text((dropbox / "req-1.json").read_text())
        (folder / name).write_text(text)
        with pytest.raises(RuleFileError, match=message) as err:
            OptOutList.load(None, dropbox=folder)
        assert name in str(err.value)


def test_raw_files_drops_covered_files_at_ingestion_naming_the_request(tmp_path):
    a, b = write_two_dumps(tmp_path / "landing")
    optout = _requests(tmp_path, [
        {"id": "OPT-1", "date": "2024-03-01", "requester": "carol@example.com", "repositories": ["CAROL/app"], "paths": ["secrets/**"]},
    ])
    lake = Lake(tmp_path / "lake")
    report = run_raw_files(lake, a, optout=optout)
    assert report.drops_by_reason == {"opted_out": 1} and report.rows_kept == 3
    [(repo, path, _, detail)] = _lineage(lake, "raw_files")
    assert (repo, path) == ("carol/app", "secrets/keys.py")
    assert detail.startswith("opt-out request OPT-1 (2024-03-01, from carol@example.com)")


def test_exact_dedup_drops_files_ingested_before_the_request_and_another_copy_survives(tmp_path, capsys):
    a, b = write_two_dumps(tmp_path / "landing")
    lake = Lake(tmp_path / "lake")
    for dump in (a, b):
        run_raw_files(lake, dump, optout=OptOutList())
    run_exact_dedup(lake, optout=OptOutList())
    # dave/lib (500 stars) holds the survivor of util.py; then dave asks to be removed
    optout = _requests(tmp_path, [{"id": "OPT-7", "date": "2024-04-01", "requester": "dave", "repositories": ["dave/*"]}])
    report = run_exact_dedup(lake, optout=optout)
    assert report.drops_by_reason["opted_out"] == 3
    con = connect(lake)
    try:
        kept = dict(con.execute("SELECT path, repo FROM exact_dedup").fetchall())
    finally:
        con.close()
    assert kept["app/util.py"] == "carol/app" and not any(repo == "dave/lib" for repo in kept.values())
    assert {row[1] for row in _lineage(lake, "exact_dedup")} == {"lib/util.py", "lib/near.py", "lib/own.py"}
    from codelake.checks import conservation, duplicate_doc_ids

    assert conservation(lake, "exact_dedup", report.version, lake.count("raw_files")).holds
    assert duplicate_doc_ids(lake, "exact_dedup", report.version) == 0
    # `codelake why` tells the story
    assert cli(["--lake", str(lake.root), "why", "dave/lib/lib/util.py"]) == 0
    out = capsys.readouterr().out
    assert "opted_out" in out and "OPT-7" in out


def test_email_requests_match_file_text_in_both_stages(tmp_path):
    from dumpfactory import MANIFEST, manifest, write_dir_dump

    dump = write_dir_dump(tmp_path / "landing" / "dump-m", {
        "frank__x": {MANIFEST: manifest("frank/x"), "a.py": b"# Author: Frank <Frank@Example.org>\nx = 1\n", "b.py": b"y = 2\n"},
    })
    optout = _requests(tmp_path, [{"id": "E1", "date": "2024-05-01", "requester": "frank", "emails": ["frank@example.org"]}])
    lake = Lake(tmp_path / "lake")
    assert run_raw_files(lake, dump, optout=optout).drops_by_reason == {"opted_out": 1}
    other = Lake(tmp_path / "lake2")
    run_raw_files(other, dump, optout=OptOutList())
    assert run_exact_dedup(other, optout=optout).drops_by_reason == {"opted_out": 1}


def _code_versions(home: Path) -> dict[str, str]:
    script = "import json, definitions; g = definitions.defs.resolve_asset_graph(); " \
             "print(json.dumps({k.to_user_string(): g.get(k).code_version for k in g.get_all_asset_keys()}))"
    env = {**os.environ, "CODELAKE_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_editing_the_list_marks_exactly_the_stages_that_read_it_stale(tmp_path):
    home = tmp_path / "home"
    before = _code_versions(home)
    dropbox = home / "landing" / "optout"
    dropbox.mkdir(parents=True)
    fingerprint = optout_fingerprint(dropbox=dropbox)
    (dropbox / "req.yaml").write_text("id: R9\ndate: 2024-06-01\nrequester: x\nrepositories: [x/y]\n")
    assert optout_fingerprint(dropbox=dropbox) != fingerprint
    after = _code_versions(home)
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == ["exact_dedup", "raw_files"]
