"""Copyright / license header removal at the top of a file, in the file's own comment syntax.

The scan: keep the preamble lines (shebang, coding/modeline, `<?php`, `<?xml`, doctype); then read the
leading comment blocks one after another (blank lines separate them): a run of line comments, one
block comment, or (Python family) a module docstring. Stop at the first line that is none of these,
or after `max_header_lines`. A block whose text matches a copyright keyword is removed together with
the blank lines that follow it; every other byte of the file is kept as it was, so the code after the
header is byte-identical. A docstring is removed only when its first line is license text (a module
docstring is part of the program; one that describes the module stays).
"""

from __future__ import annotations

import re

from codelake.transformed.rules import CommentSyntax, TransformRules

_DOCSTRING_OPEN = re.compile(r"[rRuU]?(\"\"\"|''')")


def _line_end(text: str, pos: int) -> int:
    """Index just past the newline of the line starting at `pos` (or len(text))."""
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def _indent(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos] in " \t\f":
        pos += 1
    return pos


def _is_blank(text: str, pos: int, end: int) -> bool:
    return not text[pos:end].strip()


def _line_marker(text: str, k: int, syntax: CommentSyntax) -> bool:
    for marker in syntax.line:
        if text.startswith(marker, k):
            if marker[-1].isalpha():
                nxt = text[k + len(marker) : k + len(marker) + 1]
                if nxt and (nxt.isalnum() or nxt == "_"):
                    continue
            return True
    return False


def _block_opener(text: str, k: int, syntax: CommentSyntax) -> tuple[str, str] | None:
    for opener, closer in syntax.block:
        if text.startswith(opener, k):
            return opener, closer
    return None


def strip_copyright_header(text: str, language: str, rules: TransformRules) -> tuple[str, int]:
    """(text without its copyright/license header blocks, number of blocks removed)."""
    syntax = rules.syntaxes.get(language)
    if syntax is None or not text:
        return text, 0
    n = len(text)
    pos = 0
    # preamble: at most 3 lines, only while they match
    for _ in range(3):
        if pos >= n:
            break
        eol = _line_end(text, pos)
        line = text[pos:eol]
        if any(p.match(line) for p in rules.preamble):
            pos = eol
        else:
            break

    removals: list[tuple[int, int]] = []
    lines_seen = 0
    max_lines = rules.max_header_lines
    keywords = rules.copyright_keywords
    while pos < n and lines_seen < max_lines:
        # skip blank lines
        eol = _line_end(text, pos)
        while pos < n and _is_blank(text, pos, eol):
            pos = eol
            lines_seen += 1
            eol = _line_end(text, pos)
        if pos >= n:
            break
        start = pos
        k = _indent(text, pos, eol)
        code_follows = False
        block = _block_opener(text, k, syntax)
        if block is not None:
            opener, closer = block
            close_at = text.find(closer, k + len(opener))
            if close_at < 0:
                break  # unterminated: not a header we understand
            end = close_at + len(closer)
            eol = _line_end(text, end) if end < n and text[end - 1] != "\n" else end
            if text[end:eol].strip():
                code_follows = True
                while end < eol and text[end] in " \t":
                    end += 1
            else:
                end = eol
            body = text[start:end]
            removable = keywords.search(body) is not None
        elif _line_marker(text, k, syntax):
            end = eol
            while end < n:
                nxt_eol = _line_end(text, end)
                j = _indent(text, end, nxt_eol)
                if j >= nxt_eol or text[j] in "\r\n" or not _line_marker(text, j, syntax) or _block_opener(text, j, syntax):
                    break
                end = nxt_eol
            body = text[start:end]
            removable = keywords.search(body) is not None
        elif syntax.docstring and (m := _DOCSTRING_OPEN.match(text, k)):
            quote = m.group(1)
            close_at = text.find(quote, m.end())
            if close_at < 0:
                break
            end = close_at + 3
            eol = _line_end(text, end) if end < n and text[end - 1] != "\n" else end
            if text[end:eol].strip():
                break  # `"""...""".format(...)`: an expression, not a docstring
            end = eol
            content = text[m.end() : close_at]
            first = next((ln for ln in content.splitlines() if ln.strip()), "")
            removable = keywords.search(first) is not None
        else:
            break  # first line of code
        lines_seen += text.count("\n", start, end)
        if code_follows:
            if removable:
                removals.append((start, end))
            break
        # the blank lines after the block go with it
        pos = end
        after = pos
        while after < n:
            a_eol = _line_end(text, after)
            if not _is_blank(text, after, a_eol):
                break
            after = a_eol
        if removable:
            removals.append((start, after))
            lines_seen += text.count("\n", end, after)
            pos = after
    if not removals:
        return text, 0
    pieces = []
    last = 0
    for s, e in removals:
        pieces.append(text[last:s])
        last = e
    pieces.append(text[last:])
    return "".join(pieces), len(removals)
