"""Token counts of chat samples: the lake's tokenizer when one exists, else a word/punctuation count
(said so in the metadata)."""

from __future__ import annotations

import re
from collections.abc import Callable

from codelake.lake import Lake

_TOKEN = re.compile(r"\w+|[^\w\s]")


def token_counter(lake: Lake) -> tuple[Callable[[list[str]], list[int]], str]:
    """(count texts, what counted them)."""
    try:
        from codelake.tokenizer import current_tokenizer
        from tokenizers import Tokenizer

        row = current_tokenizer(lake)
        tokenizer = Tokenizer.from_file(str(row["path"]))
        return (lambda texts: [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]), f"tokenizer {row['sha256'][:12]}"
    except (FileNotFoundError, ImportError, OSError, ValueError):
        return (lambda texts: [len(_TOKEN.findall(t)) for t in texts]), "words and punctuation (no tokenizer in the lake yet)"
