"""A straightforward per-file, per-rule Python implementation of the same signals and rules.

It is the executable specification the vectorized step (signals.py + decide.py) is checked against
(tests/bench/test_filter_bench.py, bench/filter.py): plain loops over one file's lines, words and
regex matches, then every rule evaluated with `operator` on a dict. Same definitions, no Polars.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections import Counter

from codelake.filtered import patterns as P
from codelake.filtered.decide import fires_probabilistically
from codelake.filtered.profiles import CODE_PROFILES, comment_style, profile_for
from codelake.filtered.signals_python import python_ast_counts

_re = {}


def rx(pattern: str) -> re.Pattern:
    compiled = _re.get(pattern)
    if compiled is None:
        compiled = _re[pattern] = re.compile(pattern)
    return compiled


OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


def split_lines(text: str) -> list[str]:
    if not text:
        return []
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def is_blank(line: str) -> bool:
    return line.strip(P.WS_CHARS) == ""


def count_ws(text: str) -> int:
    return sum(1 for ch in text if ch in P.WS_CHARS)


def div(a, b, empty=None):
    return a / b if b else empty


def normalized_words(text: str) -> list[str]:
    norm = rx(P.ASCII_PUNCT).sub(" ", unicodedata.normalize("NFKC", text).lower())
    return rx(P.TOKEN).findall(norm)


def word_signals(words: list[str], prefix: str, doc: bool) -> dict:
    out = {}
    n = len(words)
    lens = [len(w) for w in words]
    total = sum(lens)
    out[prefix + "num_words"] = float(n)
    out[prefix + "mean_word_length"] = div(total, n)
    out[prefix + "frac_words_unique"] = div(len(set(words)), n)
    for k in (2, 3, 4):
        value = 0.0
        if n >= k and total:
            counts: Counter = Counter()
            first: dict = {}
            for i in range(n - k + 1):
                gram = tuple(words[i : i + k])
                counts[gram] += 1
                first.setdefault(gram, i)
            best = max(counts, key=lambda g: (counts[g], -first[g]))
            if counts[best] > 1:
                value = sum(len(w) for w in best) * counts[best] / total
        out[f"{prefix}frac_chars_top_{k}grams"] = value
    for k in range(5, 11):
        value = 0.0
        if n >= k and total:
            counts = Counter(tuple(words[i : i + k]) for i in range(n - k + 1))
            covered = [False] * n
            for i in range(n - k + 1):
                if counts[tuple(words[i : i + k])] > 1:
                    for j in range(i, i + k):
                        covered[j] = True
            value = sum(lens[i] for i in range(n) if covered[i]) / total
        out[f"{prefix}frac_chars_dupe_{k}grams"] = value
    if doc:
        counts = Counter(words)
        out[prefix + "entropy_unigram"] = (
            round(-sum(c / n * math.log(c / n) for c in counts.values()), 8) if n else None
        )
    return out


def shared_char_signals(text: str, prefix: str) -> dict:
    length = len(text)
    ws = count_ws(text)
    visible = length - ws
    digits = sum(1 for ch in text if ch.isdecimal())
    return {
        prefix + "num_chars": float(length),
        prefix + "frac_chars_replacement_symbols": div(text.count(P.REPLACEMENT), length),
        prefix + "frac_chars_digital": div(digits, visible, 1.0),
        prefix + "frac_chars_whitespace": div(ws, length, 1.0),
    }


def alpha_fraction(text: str) -> float:
    visible = [ch for ch in text if ch not in P.WS_CHARS]
    return div(sum(1 for ch in visible if ch.isalpha()), len(visible), 0.0)


def doc_signals(text: str, profile: str) -> dict:
    pre = "qsc_doc_"
    out = shared_char_signals(text, pre)
    out.update(word_signals(normalized_words(text), pre, doc=True))
    lines = split_lines(text)
    n_lines = len(lines)
    length = len(text)
    out[pre + "num_lines"] = float(n_lines)
    out[pre + "num_sentences"] = float(len(rx(P.SENTENCE).findall(text)))
    raw = rx(P.TOKEN).findall(text)
    out[pre + "frac_words_all_caps"] = div(sum(1 for w in raw if w.isupper()), len(raw))
    out[pre + "frac_words_full_bracket"] = div(sum(1 for w in raw if w in ("【", "】")), len(raw))
    out[pre + "frac_chars_curly_bracket"] = div(text.count("{") + text.count("}"), length)
    stripped = [line.strip(P.WS_CHARS) for line in lines]
    nonempty = [s for s in stripped if s]
    counts = Counter(nonempty)
    out[pre + "frac_lines_dupe_lines"] = div(sum(1 for s in nonempty if counts[s] > 1), len(nonempty))
    all_counts = Counter(stripped)
    den = sum(len(s) for s in stripped)
    out[pre + "frac_chars_dupe_lines"] = div(sum(len(s) for s in stripped if all_counts[s] > 1), den)
    readmore = rx(P.READMORE_END)
    out[pre + "frac_lines_end_with_readmore"] = div(
        sum(1 for line in lines if readmore.search(line.rstrip(P.WS_CHARS))), n_lines
    )
    bullet = rx(P.BULLET_START)
    out[pre + "frac_lines_start_with_bullet"] = div(sum(1 for line in lines if bullet.search(line)), n_lines)
    links = sum(len(m) for m in rx(P.URL).findall(text)) + sum(len(m) for m in rx(P.HTML_TAG_LINE).findall(text))
    out[pre + "frac_chars_hyperlink_html_tag"] = div(links, length)
    visible = length - count_ws(text)
    out[pre + "frac_chars_alphabet"] = alpha_fraction(text) if (profile == "en" or visible == 0) else None
    out[pre + "frac_chars_hex_words"] = div(sum(len(m) for m in rx(P.HEX_WORD).findall(text)), length)
    return out


def split_code(text: str, style: str) -> tuple[str, list[str]]:
    """(code part, comment tokens) by the regex stand-in for Pygments (patterns.SPLIT)."""
    if style == "none":
        return text, []
    s_groups, c_groups = P.SPLIT_GROUPS[style]
    s_groups = s_groups if isinstance(s_groups, tuple) else (s_groups,)
    c_groups = c_groups if isinstance(c_groups, tuple) else (c_groups,)
    code, comments, pos = [], [], 0
    for m in rx(P.SPLIT[style]).finditer(text):
        code.append(text[pos : m.start()])
        code.append("".join(m.group(g) or "" for g in s_groups))
        comments.append("".join(m.group(g) or "" for g in c_groups))
        pos = m.end()
    code.append(text[pos:])
    return "".join(code), comments


def string_content(match: str) -> str:
    d = 3 if match[:3] in ("'''", '"""') else 1
    return match[d : len(match) - d]


def code_signals(text: str, language: str, profile: str, path: str | None, size: int | None) -> dict:
    pre = "qsc_code_"
    out = shared_char_signals(text, pre)
    out.update(word_signals(normalized_words(text), pre, doc=False))
    length = len(text)
    lines = split_lines(text)
    n_lines = len(lines)
    code, comments = split_code(text, comment_style(language))
    code_len = len(code)
    cl = [line for line in split_lines(code) if not is_blank(line)]
    n_cl = len(cl)
    out[pre + "size_file_byte"] = float(size if size is not None else len(text.encode("utf-8")))
    out[pre + "num_lines"] = float(n_lines)
    widths = [len(line) + 1 for line in lines]
    if widths and not text.endswith("\n"):
        widths[-1] -= 1
    out[pre + "num_chars_line_max"] = float(max(widths, default=0))
    out[pre + "num_chars_line_mean"] = div(length, n_lines, 0.0)
    out[pre + "frac_chars_alphabet"] = alpha_fraction(text)
    out[pre + "frac_chars_comments"] = div(sum(len(c) for c in comments), length)
    out[pre + "cate_xml_start"] = "<?xml version=" in text[:100]
    out[pre + "cate_autogen"] = rx(P.AUTOGEN).search(text[:200].lower()) is not None
    squashed = [re.sub(P.WS, "", line) for line in cl]
    counts = Counter(squashed)
    out[pre + "frac_lines_dupe_lines"] = div(
        sum(1 for s in squashed if counts[s] > 1 and s != "}," and len(s) > 1), n_cl
    )
    long_pieces = 0
    for m in rx(P.STR_A).findall(code):
        for piece in string_content(m).split("\n"):
            if len(rx(P.WORD_RUN).findall(piece)) > 20:
                long_pieces += 1
    out[pre + "frac_lines_long_string"] = div(long_pieces, n_cl)
    str_chars = long_chars = 0
    for m in rx(P.STR_B).findall(code):
        content = string_content(m)
        str_chars += len(content)
        for word in rx(P.LONG_WORD).findall(content):
            if not rx(P.HTTP).search(word):
                long_chars += len(word)
    out[pre + "frac_chars_string_length"] = div(str_chars, code_len)
    out[pre + "frac_chars_long_word_length"] = div(long_chars, code_len)
    out[pre + "frac_lines_string_concat"] = div(sum(1 for line in cl if rx(P.STRING_CONCAT).search(line)), n_cl)
    found = [len(m) for pattern in P.ENCODED for m in rx(pattern).findall(text)]  # matched chars summed over the patterns
    out[pre + "cate_encoded_data"] = bool(found) and (max(found) > 1024 or sum(found) > 0.5 * length)
    out[pre + "frac_chars_hex_words"] = div(sum(len(m) for m in rx(P.HEX_WORD).findall(code)), code_len)
    prompt = len(rx(r"(?im)^[^\n]*(?:your code here|fixme|todo)").findall("".join(comments)))
    out[pre + "frac_lines_prompt_comments"] = div(prompt, n_lines)
    out[pre + "frac_lines_assert"] = div(sum(1 for line in cl if "assert" in line.lower()), n_cl)

    def frac(pattern: str) -> float | None:
        return div(sum(1 for line in cl if rx(pattern).search(line)), n_cl)

    def has(sub: str) -> float | None:
        return div(sum(1 for line in cl if sub in line), n_cl)

    if profile == "python":
        q = "qsc_codepython_"
        counts_ast = python_ast_counts(text)
        # the released get_text_python: cleaned docstrings joined by newlines, a newline, the # comments without #s
        docs = counts_ast["doc_chars"] if counts_ast else 0
        hashes = sum(len(c) - c.count("#") for c in comments if c.startswith("#"))
        out[pre + "frac_chars_comments"] = div(docs + hashes + (docs > 0 and hashes > 0), length)
        imports = sum(1 for line in cl if "import" in line.lower())
        out[q + "cate_ast"] = counts_ast is not None
        out[q + "frac_lines_pass"] = div(sum(1 for line in cl if "pass" in line.lower()), n_cl, 0.0)
        out[q + "frac_lines_import"] = div(imports, n_cl, 0.0)
        out[q + "frac_lines_print"] = has("print")
        if counts_ast is None:
            for name in ("frac_lines_func_ratio", "cate_var_zero", "frac_lines_simplefunc", "score_lines_no_logic"):
                out[q + name] = None
        else:
            returns = sum(1 for line in cl if rx(P.PY_RETURN_LINE).search(line))
            out[q + "frac_lines_func_ratio"] = div(counts_ast["defs"], n_cl)
            out[q + "cate_var_zero"] = counts_ast["var_zero"]
            out[q + "frac_lines_simplefunc"] = div(counts_ast["simplefunc"], n_cl)
            out[q + "score_lines_no_logic"] = div(
                counts_ast["defs"] + imports + counts_ast["classes"] + returns + counts_ast["class_assigns"], n_cl
            )
    elif profile in ("c", "cpp"):
        q = "qsc_codec_" if profile == "c" else "qsc_codecpp_"
        funcs = len(rx(P.C_FUNC).findall(code))
        out[q + "frac_lines_func_ratio"] = div(funcs, n_cl)
        out[q + "nums_lines_main"] = float(len(rx(P.C_MAIN).findall(code)))
        logic = funcs + sum(len(rx(pat).findall(code)) for pat in P.C_LOGIC)
        out[q + "score_lines_no_logic"] = div(logic, n_cl)
        ext = (path or "").rsplit("/", 1)[-1].rsplit(".", 1)[-1] if path and "." in path.rsplit("/", 1)[-1] else ""
        out[q + "frac_lines_preprocessor_directives"] = None if ext in P.C_HEADER_EXTS else frac(P.C_PREPROC_LINE)
        if profile == "c":
            out[q + "frac_lines_print"] = has("printf")
        else:
            out[q + "frac_lines_print"] = div(sum(1 for line in cl if "cout" in line or "printf" in line), n_cl)
        out[q + "cate_bitsstdc"] = "bits/stdc++.h" in code[:200]
        out[q + "frac_lines_goto"] = has("goto")
        out[q + "cate_var_zero"] = rx(P.C_VAR).search(code) is None
    elif profile == "csharp":
        q = "qsc_codecsharp_"
        heads = sum(1 for line in cl if rx(P.CS_FUNC_LINE).search(line))
        out[q + "frac_lines_func_ratio"] = div(heads, n_cl)
        out[q + "cate_var_zero"] = False  # §3.2: always 0.0 in the reference
        logic = heads + sum(
            1 for line in cl for pat in (P.CS_USING_LINE, P.CS_UNINIT_LINE, P.CS_RETURN_LINE, P.CS_CLASS_LINE) if rx(pat).search(line)
        )
        out[q + "score_lines_no_logic"] = div(logic, n_cl)
        out[q + "frac_lines_print"] = has("Console.WriteLine")
    elif profile == "go":
        q = "qsc_codego_"
        name = (path or "").rsplit("/", 1)[-1].lower()
        out[q + "cate_testfile"] = name.endswith("_test.go")
        funcs = sum(1 for line in cl if rx(P.GO_FUNC_LINE).search(line))
        out[q + "frac_lines_func_ratio"] = div(funcs, n_cl)
        out[q + "cate_var_zero"] = False  # §3.2: always 0.0 in the reference
        logic = funcs + sum(
            1 for line in cl for pat in (P.GO_IMPORT_LINE, P.GO_VAR_LINE, P.GO_RETURN_LINE, P.GO_TYPE_LINE) if rx(pat).search(line)
        )
        out[q + "score_lines_no_logic"] = div(logic, n_cl)
        out[q + "frac_lines_print"] = has("fmt.Print")
    elif profile == "java":
        q = "qsc_codejava_"
        out[q + "cate_var_zero"] = not any(rx(P.JAVA_VAR_LINE).search(line) for line in cl)
        heads = sum(1 for line in cl if rx(P.JAVA_FUNC_LINE).search(line))
        out[q + "frac_lines_func_ratio"] = div(heads, n_cl)
        logic = heads + sum(
            1 for line in cl for pat in (P.JAVA_IMPORT_LINE, P.JAVA_FIELD_LINE, P.JAVA_RETURN_LINE, P.JAVA_CLASS_LINE) if rx(pat).search(line)
        )
        out[q + "score_lines_no_logic"] = div(logic, n_cl)
        out[q + "frac_lines_print"] = has("System.out.print")
    elif profile == "javascript":
        q = "qsc_codejavascript_"
        bare = rx(P.JS_STRINGS).sub("", code)
        ok = all(bare.count(a) == bare.count(b) for a, b in P.JS_BRACKETS)
        out[q + "cate_ast"] = ok
        out[q + "frac_lines_print"] = has("console.log")
        fdecl = len(rx(P.JS_FUNC_DECL).findall(code))
        fvar = len(rx(P.JS_FUNC_VAR).findall(code))
        fexp = len(rx(P.JS_FUNC_EXPORT).findall(code))
        decls = len(rx(P.JS_DECL).findall(code))
        if not ok:
            for name in ("cate_var_zero", "frac_lines_func_ratio", "score_lines_no_logic"):
                out[q + name] = None
        else:
            funcs = fdecl + fvar + fexp
            out[q + "cate_var_zero"] = decls - fvar == 0
            out[q + "frac_lines_func_ratio"] = div(funcs, n_cl)
            logic = funcs + sum(
                1 for line in cl for pat in (P.JS_IMPORT_LINE, P.JS_SIMPLE_DECL_LINE, P.JS_RETURN_LINE, P.JS_CLASS_LINE) if rx(pat).search(line)
            )
            out[q + "score_lines_no_logic"] = div(logic, n_cl)
    elif profile == "html":
        q = "qsc_codehtml_"
        marked = rx(P.HTML_TAG).sub(lambda m: P.HTML_SEGMENT_END + m.group(0) + P.HTML_SEGMENT_START, rx(P.HTML_DROP).sub("\x02\x03", text))
        marked = P.HTML_SEGMENT_START + marked + P.HTML_SEGMENT_END
        for blank in (P.HTML_BLANK_WITH_NEWLINE, P.HTML_BLANK):
            marked = rx(blank).sub(lambda m: "".join(g or "" for g in m.groups()), marked)
        visible = rx(P.HTML_ENTITY).sub("&", rx(P.HTML_WRAPPED_TAG).sub("", marked))
        out[q + "cate_ast"] = True  # §4.4: bs4 html.parser practically never raises
        out[q + "num_chars_text"] = float(len(visible))
        out[q + "frac_words_text"] = div(len(visible), length)
    return out


def reference_signals(doc_id: str, language: str, text: str, path: str | None = None, size: int | None = None, lang: str | None = None) -> dict:
    profile = profile_for(language, lang)
    out = {"doc_id": doc_id, "profile": profile}
    if profile in ("en", "zh"):
        out.update(doc_signals(text, profile))
    elif profile in CODE_PROFILES:
        out.update(code_signals(text, language, profile, path, size))
    out["cate_excluded"] = profile == "excluded"
    return out


def reference_decide(signals: dict, rules, seed: int = 0) -> tuple[bool, list[str]]:
    """Every rule evaluated on one file's signal dict; any firing rule drops the file (§2.4)."""
    reasons = []
    for rule in rules.rules:
        if not rule.enabled or signals["profile"] not in rule.applies_to:
            continue
        value = signals.get(rule.signal)
        if value is None:
            continue
        if not OPS[rule.op](value, rule.threshold):
            continue
        if rule.probability < 1.0 and not fires_probabilistically(signals["doc_id"], rule.name, seed, rule.probability):
            continue
        reasons.append(rule.name)
    return not reasons, reasons


def reference_run(rows, rules, seed: int = 0) -> list[tuple[str, bool, list[str]]]:
    """rows: iterable of dicts with doc_id, language, text (optionally path, size, lang)."""
    out = []
    for row in rows:
        sig = reference_signals(row["doc_id"], row["language"], row["text"], row.get("path"), row.get("size"), row.get("lang"))
        keep, reasons = reference_decide(sig, rules, seed)
        out.append((row["doc_id"], keep, reasons))
    return out
