"""A small code_corpus for the annealing tests: files written to exercise each rule and each outcome of
snippet mining (passing, failing, looping, not self-contained, third-party import, duplicate, unit tests),
plus real standard-library modules whose doctests pass."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa

from codelake.ids import doc_id
from codelake.lake import Lake

SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("dump", pa.string()), ("repo", pa.string()), ("path", pa.string()), ("language", pa.string()),
     ("size", pa.int64()), ("sha256", pa.string()), ("stars", pa.int64()), ("commit_time", pa.timestamp("us", tz="UTC")),
     ("text", pa.string())]
)
STDLIB = Path(os.__file__).parent

LEETCODE = '''# LeetCode 1. Two Sum
class Solution:
    def twoSum(self, nums, target):
        seen = {}
        for i, x in enumerate(nums):
            if target - x in seen:
                return [seen[target - x], i]
            seen[x] = i
'''
CONTEST = '''n = int(input())
a = list(map(int, input().split()))
print(sum(a) - max(a))
'''
CPP_CONTEST = '''#include <bits/stdc++.h>
int main() { std::ios::sync_with_stdio(false); std::cin.tie(nullptr); int n; std::cin >> n; std::cout << n * 2; }
'''
WEAK_TWO = '''def longest_run(values):
    """Given a list of integers, return the length of the longest run of equal values.

    Runs in O(n) time.
    """
    best = run = 0
    for i, v in enumerate(values):
        run = run + 1 if i and values[i - 1] == v else 1
        best = max(best, run)
    return best
'''
WEAK_ONE = '''def names(paths):
    """Given a list of paths, return their base names."""
    return [p.rsplit("/", 1)[-1] for p in paths]
'''
README = "# My LeetCode solutions\n\nclass Solution notes, def solution( ... )\n"
DOCTESTS = '''import math
from collections import Counter
import numpy as np

LIMIT = 10


def hypot2(a, b):
    """Length of the hypotenuse.

    >>> hypot2(3, 4)
    5.0
    """
    return math.sqrt(a * a + b * b)


def wrong(a):
    """Claims the wrong answer.

    >>> wrong(2)
    5
    """
    return a + 2


def spins(n):
    """Never returns.

    >>> spins(1)
    1
    """
    while True:
        n += 1


def clipped(x):
    """Uses a module constant.

    >>> clipped(50)
    10
    """
    return min(x, LIMIT)


def arr(n):
    """Needs numpy.

    >>> arr(2).tolist()
    [0, 1]
    """
    return np.arange(n)


def most_common(text):
    """The most common character.

    >>> most_common("abracadabra")
    'a'
    """
    return Counter(text).most_common(1)[0][0]


def no_examples(x):
    """Just prose, no examples."""
    return x
'''
UNIT_TESTED = '''def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def test_gcd():
    assert gcd(12, 18) == 6
    assert gcd(7, 13) == 1
'''
FILES = {
    ("algo/leetcode", "two_sum.py", "Python"): LEETCODE,
    ("algo/contest", "a.py", "Python"): CONTEST,
    ("algo/contest", "b.cpp", "C++"): CPP_CONTEST,
    ("algo/misc", "runs.py", "Python"): WEAK_TWO,
    ("util/paths", "names.py", "Python"): WEAK_ONE,
    ("algo/leetcode", "README.md", "Markdown"): README,
    ("lib/mixed", "doctests.py", "Python"): DOCTESTS,
    ("lib/mixed-copy", "doctests.py", "Python"): DOCTESTS + "\n# a copy with one more line\n",  # same snippets again
    ("lib/math", "gcd.py", "Python"): UNIT_TESTED,
}


def rows(dump: str = "d1") -> list[dict]:
    out = []
    files = dict(FILES)
    for name in ("colorsys.py", "bisect.py"):  # real modules: colorsys has no doctests, bisect none either; textwrap has some
        files[("python/cpython", name, "Python")] = (STDLIB / name).read_text(encoding="utf-8")
    for i, ((repo, path, language), text) in enumerate(sorted(files.items())):
        out.append({
            "doc_id": doc_id(dump, repo, path), "dump": dump, "repo": repo, "path": path, "language": language,
            "size": len(text.encode()), "sha256": f"{i:064x}", "stars": i, "commit_time": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
            "text": text,
        })
    return out


def write_code_corpus(lake: Lake) -> list[dict]:
    corpus = rows()
    lake.write("code_corpus", [pa.RecordBatch.from_pylist(corpus, schema=SCHEMA)], SCHEMA, partition_by=["dump"])
    return corpus
