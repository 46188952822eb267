"""Fenced code blocks of an answer (```lang … ```, ~~~ too) and the language each tag names.

Fences follow CommonMark: up to three spaces of indentation, three or more backticks or tildes, an info
string whose first word is the tag; the block ends at a fence of the same character at least as long,
or at the end of the text (an unclosed block is still a block: a truncated answer is judged by its code).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

CODE_BLOCK_RULES = RULES_DIR / "sft" / "code_blocks.yaml"
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$")


@dataclass(frozen=True)
class CodeBlock:
    tag: str  # the fence's tag as written, lower-cased ("" when none)
    code: str
    closed: bool


@dataclass(frozen=True)
class CodeBlockRules:
    aliases: dict[str, str]
    not_code: frozenset[str]

    @classmethod
    def load(cls, path: str | Path = CODE_BLOCK_RULES) -> CodeBlockRules:
        data = load_rule_file(path)
        aliases = require(data, "aliases", dict, path)
        if not all(isinstance(v, str) and v for v in aliases.values()):
            raise RuleFileError(f"{path}: every alias must name a language")
        return cls({str(k).lower(): v for k, v in aliases.items()}, frozenset(str(t).lower() for t in require(data, "not_code", list, path)))

    def language(self, tag: str) -> str | None:
        """The parser's language for a fence tag; None for untagged, not-code and unknown tags."""
        if not tag or tag in self.not_code:
            return None
        return self.aliases.get(tag)


def code_blocks(text: str) -> list[CodeBlock]:
    blocks: list[CodeBlock] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening or (opening.group(1)[0] == "`" and "`" in lines[i].strip()[len(opening.group(1)):]):
            i += 1
            continue
        fence = opening.group(1)
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]} and len(lines[i]) - len(lines[i].lstrip(" ")) <= 3:
                closed = True
                i += 1
                break
            body.append(lines[i])
            i += 1
        blocks.append(CodeBlock(opening.group(2).lower(), "\n".join(body), closed))
    return blocks


def answer_blocks(turns: list[dict]) -> list[tuple[int, CodeBlock]]:
    """(turn index, block) for every code block of every assistant turn."""
    return [(i, block) for i, turn in enumerate(turns) if turn["role"] == "assistant" for block in code_blocks(turn["content"])]


def dominant_language(turns: list[dict], rules: CodeBlockRules) -> str | None:
    """The language most of the answer's code is in (by characters), or None when it has no code."""
    sizes: Counter = Counter()
    for _, block in answer_blocks(turns):
        language = rules.language(block.tag)
        if language:
            sizes[language] += len(block.code)
    return sizes.most_common(1)[0][0] if sizes else None
