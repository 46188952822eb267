"""Ordinary programs: files and stdin reach the program, and every way of ending maps to one status."""

from __future__ import annotations

import pytest

from codelake.sandbox import PythonProgram
from codelake.sandbox.capture import BoundedCapture


def test_program_sees_its_files_and_stdin(sandbox):
    files = {"solution.py": "def add(a, b):\n    return a + b\n", "data/numbers.txt": "1 2 3\n"}
    program = (
        "import sys\nfrom solution import add\n"
        "numbers = list(map(int, open('data/numbers.txt').read().split()))\n"
        "assert add(*numbers[:2]) == 3\nprint(sys.stdin.read().upper(), end='')\n"
    )
    result = sandbox.run_python(program, files=files, stdin="hello\n")
    assert (result.status, result.exit_code, result.stdout) == ("passed", 0, "HELLO\n"), result
    assert result.isolation == "bwrap" and not result.truncated


@pytest.mark.parametrize(
    "program, status, exit_code, signal_name",
    [
        ("assert 1 + 1 == 3", "failed", 1, None),
        ("import sys; sys.exit(3)", "failed", 3, None),
        ("raise SystemExit(0)", "passed", 0, None),
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "crashed", None, "SIGSEGV"),
        ("import os; os.abort()", "crashed", None, "SIGABRT"),
        ("def f(:\n  pass", "failed", 1, None),
    ],
)
def test_status_exit_code_and_signal(sandbox, program, status, exit_code, signal_name):
    result = sandbox.run_python(program)
    assert (result.status, result.exit_code, result.signal_name) == (status, exit_code, signal_name), result


def test_failing_test_keeps_its_traceback_and_stdout(sandbox):
    result = sandbox.run_python("print('before', flush=False)\nassert [1, 2] == [2, 1], 'order'\n")
    assert result.status == "failed"
    assert result.stdout == "before\n"
    assert "AssertionError: order" in result.stderr


def test_program_file_names_must_stay_in_the_work_dir(sandbox):
    for name in ["../escape.py", "/etc/passwd", "main.py", "a/../../b"]:
        with pytest.raises(ValueError, match="relative path inside the work dir"):
            sandbox.run_python("pass", files={name: "x"})


def test_run_many_keeps_input_order_and_contexts(sandbox):
    items = [(f"job{i}", PythonProgram(f"import time; time.sleep({0.2 if i % 2 else 0}); print({i})")) for i in range(6)]
    results = list(sandbox.run_many(items, workers=3))
    assert [context for context, _ in results] == [f"job{i}" for i in range(6)]
    assert [result.stdout.strip() for _, result in results] == [str(i) for i in range(6)]


def test_bounded_capture_keeps_head_and_tail():
    capture = BoundedCapture(kept_bytes=10)
    for chunk in [b"abc", b"defgh", b"x" * 1000, b"12345"]:
        capture.add(chunk)
    assert capture.total == 1013 and capture.truncated
    text = capture.text()
    assert text.startswith("abcde") and text.endswith("omitted ...]\n12345") and "1003 bytes omitted" in text
    small = BoundedCapture(kept_bytes=100)
    small.add(b"short")
    assert (small.text(), small.truncated) == ("short", False)
