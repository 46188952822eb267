"""Member names: shown escaped when they cannot be stored as they are, and judged before anything else."""

from __future__ import annotations

from codelake.dumps.names import NameLimits, name_problem, printable_name, raw_bytes

LIMITS = NameLimits(max_name_bytes=255, max_path_bytes=4096)


def test_printable_names_come_back_unchanged():
    for name in ("src/main.py", "docs/café.md", "a b/c\\d.py", "日本語/ファイル.py", "emoji/😀.py"):
        assert printable_name(name) == name


def test_undecodable_bytes_and_control_characters_are_escaped_on_one_line():
    undecodable = b"repo/caf\xff\xfe.py".decode("utf-8", "surrogateescape")
    assert printable_name(undecodable) == "repo/caf\\xff\\xfe.py"
    assert printable_name("a\nb\tc\r\x1b\x7f\x85\u2028.py") == "a\\nb\\tc\\r\\x1b\\x7f\\x85\\u2028.py"
    # once escaped, backslashes double, so an escaped name never shows like another name
    assert printable_name("x\\y\n") == "x\\\\y\\n"
    assert printable_name("a\\b\udcff") == "a\\\\b\\xff"
    for shown in (printable_name(undecodable), printable_name("a\nb")):
        shown.encode("utf-8")  # storable
        assert "\n" not in shown


def test_raw_bytes_give_back_what_the_archive_held():
    original = b"dir/\xe9t\xe9.c"
    assert raw_bytes(original.decode("utf-8", "surrogateescape")) == original


def test_name_problems_name_the_reason_and_show_the_name():
    bad = b"caf\xff.py".decode("utf-8", "surrogateescape")
    reason, detail = name_problem("repo", bad, LIMITS)
    assert reason == "undecodable_path" and "repo/caf\\xff.py" in detail
    reason, detail = name_problem("re\npo", "x.py", LIMITS)
    assert reason == "unprintable_path" and "U+000A" in detail and "re\\npo/x.py" in detail
    assert name_problem("repo", "tab\there.py", LIMITS)[0] == "unprintable_path"
    assert name_problem("repo", "sep\u2029.py", LIMITS)[0] == "unprintable_path"
    reason, detail = name_problem("repo", "a" * 256 + ".py", LIMITS)
    assert reason == "path_too_long" and "259 bytes > 255" in detail
    assert name_problem("repo", "/".join(["d" * 200] * 25), LIMITS)[0] == "path_too_long"
    # 255 bytes in one component is allowed; multi-byte characters count as bytes
    assert name_problem("repo", "b" * 255, LIMITS) is None
    assert name_problem("repo", "é" * 128, LIMITS)[0] == "path_too_long"
    assert name_problem(None, "stray.py", LIMITS) is None
