from __future__ import annotations

import hashlib

from codelake.ids import doc_id
from codelake.lake import Lake
from codelake.raw_files import run_raw_files
from dumpfactory import small_repos, write_dir_dump, write_tar_dump, write_zip_dump


def test_rows_carry_ids_metadata_and_text(tmp_path):
    lake = Lake(tmp_path / "lake")
    dump = write_dir_dump(tmp_path / "dump-1", small_repos())
    report = run_raw_files(lake, dump)
    rows = {r["path"]: r for r in lake.dataset("raw_files").to_table().to_pylist()}
    util = rows["tools/util.py"]
    assert util["doc_id"] == doc_id("dump-1", "alice__tools", "tools/util.py")
    assert util["repo"] == "alice/tools" and util["repo_dir"] == "alice__tools" and util["dump"] == "dump-1"
    assert util["language"] == "Python" and rows["src/main.c"]["language"] == "C" and rows["README.md"]["language"] == "Markdown"
    assert util["sha256"] == hashlib.sha256(util["text"].encode()).hexdigest()
    assert util["size"] == len(util["text"].encode()) and util["stars"] == 50
    assert util["commit_time"].year == 2024 and util["license"] == "MIT"
    assert report.rows_by_language["Python"] == 3 and report.version == 0


def test_same_content_in_every_dump_format_gives_the_same_rows(tmp_path):
    tables = []
    for i, make in enumerate((write_dir_dump, write_tar_dump, write_zip_dump)):
        name = ["dump-x", "dump-x.tar.gz", "dump-x.zip"][i]
        lake = Lake(tmp_path / f"lake{i}")
        run_raw_files(lake, make(tmp_path / f"f{i}" / name if i == 0 else tmp_path / name, small_repos()))
        tables.append(sorted((r["doc_id"], r["sha256"], r["language"]) for r in lake.dataset("raw_files").to_table().to_pylist()))
    assert tables[0] == tables[1] == tables[2] and len(tables[0]) == 5


def test_reingesting_a_dump_replaces_only_its_partition(tmp_path):
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-a", small_repos()))
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-b", small_repos()))
    repos = small_repos()
    del repos["bob__fork"]
    (tmp_path / "dump-a" / "bob__fork" / ".codelake.json").unlink()  # now bob's files drop in dump-a
    report = run_raw_files(lake, tmp_path / "dump-a")
    counts = {}
    for r in lake.dataset("raw_files").to_table(columns=["dump"]).to_pylist():
        counts[r["dump"]] = counts.get(r["dump"], 0) + 1
    assert counts == {"dump-a": 3, "dump-b": 5}
    assert report.drops_by_reason["manifest_missing"] == 2
    # the first version is still readable (time travel)
    assert lake.count("raw_files", version=0) == 5
