"""A page's natural language: fastText language id when a model file is there, else resiliparse's
bundled n-gram profiles over the page's prose.

Code confuses both (identifiers look like English), so only prose lines are sampled: a line counts as
code when more than a tenth of its characters are symbols typical of code, when it ends like a
statement or block (`:`, `;`, `{`, `}`, `)`), or when it is indented by four spaces or a tab; lines of
fewer than four words (`import os`, menu items) are left out too.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from resiliparse.parse.lang import detect_fast

from codelake.web_text.rules import LanguageRules

_WITHOUT_CODE_SYMBOLS = str.maketrans("", "", "{}[]()<>=;:_$#@\\/*&|^%+-\"'`")
_SCAN_FACTOR = 20  # read at most this many times the sample's length looking for prose


def _looks_like_code(line: str) -> bool:
    if line.startswith(("    ", "\t")):
        return True
    stripped = line.strip()
    if stripped.count(" ") < 3 or stripped.endswith((":", ";", "{", "}", ")")):
        return True
    return len(stripped) - len(stripped.translate(_WITHOUT_CODE_SYMBOLS)) > len(stripped) / 10


def prose_sample(text: str, chars: int) -> str:
    lines, size = [], 0
    for line in text[: chars * _SCAN_FACTOR].splitlines():
        if not _looks_like_code(line):
            lines.append(line.strip())
            size += len(line)
            if size >= chars:
                break
    return unicodedata.normalize("NFC", " ".join(lines))[:chars]


@lru_cache(maxsize=2)
def _fasttext_model(path: Path):
    import fasttext

    return fasttext.load_model(str(path))


def detect_language(text: str, rules: LanguageRules) -> tuple[str, float]:
    """(language code or "unknown", confidence: fastText's probability, or 1 - rank / max_rank)."""
    sample = prose_sample(text, rules.sample_chars)
    if not sample.strip():
        return "unknown", 0.0
    if rules.fasttext_model is not None:
        labels, probabilities = _fasttext_model(rules.fasttext_model).predict(sample.replace("\n", " "))
        return labels[0].removeprefix("__label__"), round(float(probabilities[0]), 4)
    language, rank = detect_fast(sample, cutoff=rules.max_rank)
    if language == "unknown":
        return "unknown", 0.0
    return language, round(max(0.0, 1 - rank / rules.max_rank), 4)
