"""Polars work on two threads of a fresh interpreter, at the two moments where Polars' unlocked
first-use state breaks (codelake.polars_threads): compute_signals (its first numpy-backed Series) and a
frame built from a list of Series. Each thread's first use is forced to interleave with the other's
(forcedrace), so the outcome does not depend on the machine's load.

With the state prepared (importing codelake.filtered does it) both threads get what a serial run gets; without it (the control) the same interleaving fails as filter_signals once failed in the
demo. If a control case starts passing, Polars has fixed that race and the preparation can go."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SCRIPT = textwrap.dedent(
    """
    import json, linecache, sys
    sys.path.insert(0, {tests!r})
    import polars as pl
    import codelake.polars_threads
    if not {prepared!r}:
        codelake.polars_threads._prepared = True  # the control: as if already done, so nothing prepares
    from codelake.filtered import compute_signals
    from forcedrace import Pause, interleave

    PAUSES = {{
        # functools.singledispatch walking its registry to place Series, the registration's first use
        "dispatch": Pause("is_related", "functools.py", lambda f: f.f_locals.get("cls") is pl.Series),
        # Polars' numpy proxy about to store the real module through its `_globals`
        "numpy_proxy": Pause("_import", "polars/_dependencies.py", lambda f: "self._globals[" in linecache.getline(
            f.f_code.co_filename, f.f_lineno) and f.f_locals["self"]._module_name == "numpy"),
    }}

    def frame(tag):  # built from lists: no numpy, no list of Series, so no first use happens here
        files = [("Markdown", "# Notes " + tag + "\\n\\nSome prose, with words and more words.\\n", "a.md"),
                 ("Python", "def f(x):\\n    return x + 1\\n", "b.py"), ("C", "int main(void) {{ return 0; }}\\n", "c.c")]
        return pl.DataFrame({{"doc_id": [tag + str(i) for i in range(3)], "language": [f[0] for f in files],
                             "text": [f[1] for f in files], "path": [f[2] for f in files]}})

    WORK = {{
        "dispatch": lambda f: pl.DataFrame([f["doc_id"], f["text"]]),  # a frame from a list of Series, as signals once built one
        "numpy_proxy": compute_signals,
    }}
    work = WORK[{scenario!r}]
    a, b = frame("a"), frame("b")
    out = interleave(lambda: work(a), lambda: work(b), PAUSES[{scenario!r}])
    report = {{"paused": out["paused"]}}
    for side, frame_in in (("first", a), ("second", b)):
        got = out[side]
        report[side] = (repr(got) if isinstance(got, BaseException)
                        else "same" if got.equals(work(frame_in)) else "different")
    print(json.dumps(report))
    """
)


def _forced(scenario: str, prepared: bool) -> dict:
    code = SCRIPT.format(tests=str(TESTS), prepared=prepared, scenario=scenario)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("scenario", ["dispatch", "numpy_proxy"])
def test_two_threads_first_use_get_the_serial_result(scenario):
    report = _forced(scenario, prepared=True)
    assert report["first"] == "same" and report["second"] == "same", report


@pytest.mark.parametrize(
    ("scenario", "error"),
    [("dispatch", "dictionary changed size during iteration"), ("numpy_proxy", "does not support item assignment")],
)
def test_control_without_preparation_the_forced_interleaving_fails(scenario, error):
    report = _forced(scenario, prepared=False)
    assert report["paused"], f"the first thread never reached the {scenario} first use: {report}"
    assert error in report["first"], report
