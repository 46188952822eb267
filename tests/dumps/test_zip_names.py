"""Zip member names: read as UTF-8 whatever the flag says, with the original bytes kept when they are not."""

from __future__ import annotations

import zipfile

from codelake.dumps.zip_names import member_name, open_zip
from dumpfactory import write_raw_zip


def test_names_flagged_utf8_that_are_not_still_open_and_keep_their_bytes(tmp_path):
    names = [b"repo/ok.py", b"repo/caf\xff.py", b"repo/l\xe9gacy.py", b"repo/\xc3\xa9t\xc3\xa9.py"]
    path = write_raw_zip(tmp_path / "d.zip", [(n, b"x = 1\n") for n in names], utf8_flag=[True, True, False, False])
    try:
        zipfile.ZipFile(path)
        raise AssertionError("zipfile itself refuses such an archive; the test needs it to")
    except UnicodeDecodeError:
        pass
    archive = open_zip(path)
    read = [member_name(i) for i in archive.infolist()]
    assert [n.encode("utf-8", "surrogateescape") for n in read] == names
    assert read[3] == "repo/été.py"  # UTF-8 without the flag (as many tools write it) reads as UTF-8
    with archive.open(archive.infolist()[0]) as handle:  # the other members still read
        assert handle.read() == b"x = 1\n"


def test_nul_in_a_zip_name_is_kept_not_cut(tmp_path):
    path = write_raw_zip(tmp_path / "n.zip", [(b"repo/a.py\x00.txt", b"")], utf8_flag=False)
    archive = open_zip(path)
    assert member_name(archive.infolist()[0]) == "repo/a.py\x00.txt"
