"""Vectorized quality signals (REFINECODE.md §3): one pass over a frame of files -> a signals table.

Input: a Polars (or Arrow) frame with doc_id, language, text and optionally path (file name, for
header / _test.go checks), size (bytes) and lang (natural-language label; "zh" routes text to the zh
profile). Output: doc_id, profile, and one column per signal in codelake.filtered.registry.SIGNALS
(null where a signal does not apply to the file's profile). Every signal is computed once per file;
decisions (decide.py) only read this table.

How: per-character, per-word and per-line counting (character classes, normalized words and their
n-grams, comment/code split, string literals, duplicate lines) is one numba pass over each file's
UTF-8 bytes (kernels.py), and so is HTML's visible text (html_text.py); regex signals are Polars
string expressions over whole columns (Rust regex), a line pattern counting its lines over the whole
code part, each computed once (an eager select does not reuse a repeated expression). Patterns whose
Unicode \\b would send the engine to its slow path on non-ASCII text run on an ASCII stand-in of it
(kernels.ascii_stand_ins). Only the Python `ast` parse is a per-file Python call, on a second thread
(or in worker processes), and NFKC normalization a Python call per span of non-ASCII text. The
definitions are those of reference.py, which computes the same values with plain per-file Python
loops; the patterns are shared (patterns.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import pyarrow as pa

from codelake.filtered import kernels as K
from codelake.filtered import patterns as P
from codelake.filtered.html_text import visible_chars
from codelake.filtered.profiles import CODE_PROFILES, comment_style, profile_for
from codelake.filtered.registry import SIGNALS
from codelake.filtered.signals_python import python_counts_many

# Python texts -> their parse counts (signals_python.python_counts), one per text, in order.
PythonCounter = Callable[[list[str]], list]

I = "_i"
_DTYPES = {"float": pl.Float64, "bool": pl.Boolean}


def _div(num: pl.Expr, den: pl.Expr, empty=None) -> pl.Expr:
    num, den = num.cast(pl.Float64), den.cast(pl.Float64)
    return pl.when(den != 0).then(num / den).otherwise(pl.lit(empty, dtype=pl.Float64))


def _match_chars(col: str, pattern: str) -> pl.Expr:
    """Total length of the (non-overlapping, leftmost-first) matches of `pattern`."""
    return pl.col(col).str.len_chars() - pl.col(col).str.replace_all(pattern, "").str.len_chars()


def _lines(rows: pl.DataFrame, col: str, keep: list[str] | None = None) -> pl.DataFrame:
    """One row per line of `col` (the newline removed; a trailing newline ends the last line)."""
    keep = keep or []
    return (
        rows.filter(pl.col(col).str.len_chars() > 0)
        .select(I, *keep, pl.col(col).str.strip_suffix("\n").str.split("\n").alias("line"))
        .explode("line", empty_as_null=True)
    )


# ---------------------------------------------------------------- per-character counts (kernels.char_counts)


_CHAR_COLUMNS = ("_chars", "_ws", "_decimals", "_letters", "_replacements", "_curly", "_lines", "_line_max")


def _with_char_counts(frame: pl.DataFrame) -> pl.DataFrame:
    data, offsets = K.utf8_buffers(frame["text"])
    counts = K.char_counts(data, offsets, K.character_classes(data))
    return frame.with_columns(pl.Series(name, counts[:, j]) for j, name in enumerate(_CHAR_COLUMNS))


def _char_signals(prefix: str) -> list[pl.Expr]:
    length, ws = pl.col("_chars"), pl.col("_ws")
    return [
        length.cast(pl.Float64).alias(prefix + "num_chars"),
        _div(pl.col("_replacements"), length).alias(prefix + "frac_chars_replacement_symbols"),
        _div(pl.col("_decimals"), length - ws, 1.0).alias(prefix + "frac_chars_digital"),
        _div(ws, length, 1.0).alias(prefix + "frac_chars_whitespace"),
    ]


def _alpha() -> pl.Expr:
    return _div(pl.col("_letters"), pl.col("_chars") - pl.col("_ws"), 0.0)


def _num_lines() -> pl.Expr:
    return pl.col("_lines").cast(pl.Float64)


# ---------------------------------------------------------------- words (NW) and n-grams (kernels.word_stats)


def _normalized_buffers(rows: pl.DataFrame, text: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' UTF-8 buffers, NFKC-normalized and lowercased (as the reference does) where they are
    not ASCII (kernels.nfkc_lower_buffers); NFKC and lowercasing leave ASCII text to the kernel."""
    needs = (rows["_chars"] != rows["text"].str.len_bytes()).arg_true().to_numpy().astype(np.int64)
    return K.nfkc_lower_buffers(*text, needs) if needs.size else text


def _word_signals(rows: pl.DataFrame, prefix: str, doc: bool, text: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """`text`: the rows' text buffers (kernels.utf8_buffers), their characters classified."""
    data, offsets = _normalized_buffers(rows, text)
    stats = K.word_stats(data, offsets, K.classified(), K.ASCII_PUNCT)
    words = pl.Series(stats[:, K.WORDS])
    columns = [
        rows[I],
        words.alias(prefix + "num_words"),
        pl.Series(prefix + "mean_word_length", stats[:, K.WORD_CHARS] / np.maximum(stats[:, K.WORDS], 1)),
        pl.Series(prefix + "frac_words_unique", stats[:, K.UNIQUE] / np.maximum(stats[:, K.WORDS], 1)),
    ]
    columns += [pl.Series(f"{prefix}frac_chars_top_{k}grams", stats[:, K.TOP + k - 2]) for k in (2, 3, 4)]
    columns += [pl.Series(f"{prefix}frac_chars_dupe_{k}grams", stats[:, K.DUPE + k - 5]) for k in range(5, 11)]
    if doc:  # rounded as the reference rounds (Python's round, not a float approximation of it)
        columns.append(pl.Series(prefix + "entropy_unigram", [round(x, 8) for x in stats[:, K.ENTROPY].tolist()], dtype=pl.Float64))
    frame = pl.DataFrame({c.name: c for c in columns})  # a dict: a list of Series races on threads (polars' lazy dispatch registration)
    no_words = [prefix + "mean_word_length", prefix + "frac_words_unique"] + ([prefix + "entropy_unigram"] if doc else [])
    return frame.with_columns(pl.when(words > 0).then(pl.col(no_words)))


# ---------------------------------------------------------------- text files (qsc_doc_)


def _with_raw_word_counts(rows: pl.DataFrame, text: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    counts = K.raw_word_counts(*text, K.classified())
    return rows.with_columns(pl.Series(name, counts[:, j]) for j, name in enumerate(("_raw_words", "_caps_words", "_bracket_words")))


def _doc_signals(rows: pl.DataFrame) -> pl.DataFrame:
    pre = "qsc_doc_"
    length = pl.col("_chars")
    visible = length - pl.col("_ws")
    text = K.utf8_buffers(rows["text"])
    direct = _with_raw_word_counts(rows, text).select(
        I,
        *_char_signals(pre),
        _num_lines().alias(pre + "num_lines"),
        pl.col("text").str.count_matches(P.SENTENCE).cast(pl.Float64).alias(pre + "num_sentences"),
        _div(pl.col("_caps_words"), pl.col("_raw_words")).alias(pre + "frac_words_all_caps"),
        _div(pl.col("_bracket_words"), pl.col("_raw_words")).alias(pre + "frac_words_full_bracket"),
        _div(pl.col("_curly"), length).alias(pre + "frac_chars_curly_bracket"),
        _div(_match_chars("text", P.URL) + _match_chars("text", P.HTML_TAG_LINE), length).alias(pre + "frac_chars_hyperlink_html_tag"),
        pl.when((pl.col("profile") == "en") | (visible == 0)).then(_alpha()).alias(pre + "frac_chars_alphabet"),
        _div(_match_chars("text", P.HEX_WORD), length).alias(pre + "frac_chars_hex_words"),
    )
    lines = _lines(rows, "text").with_columns(pl.col("line").str.strip_chars(P.WS_CHARS).alias("s"))
    lines = lines.with_columns(
        pl.col("s").str.len_chars().cast(pl.Int64).alias("sl"),
        (pl.len().over(I, "s") > 1).alias("dup"),
    )
    per_line = lines.group_by(I).agg(
        pl.len().alias("n"),
        ((pl.col("sl") > 0) & pl.col("dup")).sum().alias("dup_lines"),
        (pl.col("sl") > 0).sum().alias("nonempty"),
        (pl.col("sl") * pl.col("dup")).sum().alias("dup_chars"),
        pl.col("sl").sum().alias("chars"),
        pl.col("line").str.strip_chars_end(P.WS_CHARS).str.contains(P.READMORE_END).sum().alias("readmore"),
        pl.col("line").str.contains(P.BULLET_START).sum().alias("bullet"),
    )
    per_line = per_line.select(
        I,
        _div(pl.col("dup_lines"), pl.col("nonempty")).alias(pre + "frac_lines_dupe_lines"),
        _div(pl.col("dup_chars"), pl.col("chars")).alias(pre + "frac_chars_dupe_lines"),
        _div(pl.col("readmore"), pl.col("n")).alias(pre + "frac_lines_end_with_readmore"),
        _div(pl.col("bullet"), pl.col("n")).alias(pre + "frac_lines_start_with_bullet"),
    )
    words = _word_signals(rows, pre, doc=True, text=text)
    return direct.join(per_line, on=I, how="left").join(words, on=I, how="left")


# ---------------------------------------------------------------- code files (qsc_code_ + language groups)


def _strings(data: np.ndarray, offsets: np.ndarray) -> pl.Series:
    return pl.from_arrow(pa.LargeStringArray.from_buffers(offsets.size - 1, pa.py_buffer(offsets), pa.py_buffer(data)))


def _split_code(rows: pl.DataFrame, text: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """Adds code (code part), comment_len, comment_text (the comments concatenated, as the released filter's)."""
    data, offsets = text
    styles = rows["style"].replace_strict(K.STYLES, range(len(K.STYLES)), return_dtype=pl.Int64).to_numpy()
    code, code_offsets, comments, comment_offsets, comment_chars, hash_text = K.split_code(data, offsets, styles)
    return rows.with_columns(
        _strings(code, code_offsets).alias("code"),
        pl.Series("comment_len", comment_chars),
        pl.Series("hash_text", hash_text),
        _strings(comments, comment_offsets).alias("comment_text"),
    )


def _code_line_counts(rows: pl.DataFrame) -> pl.DataFrame:
    """Non-blank and duplicate code lines, and the string-literal counts, of each file's code part."""
    data, offsets = K.utf8_buffers(rows["code"])
    classes = K.classified()  # the code part's characters are the text's
    lines = K.code_line_counts(data, offsets, classes)
    strings = K.string_counts(data, offsets, classes)
    return rows.with_columns(
        pl.Series("n_cl", lines[:, K.CODE_LINES]),
        pl.Series("dup_lines", lines[:, K.DUPE_LINES]),
        pl.Series("long_lines", strings[:, K.LONG_STRING_LINES]),
        pl.Series("str_chars", strings[:, K.STRING_CHARS]),
        pl.Series("long_chars", strings[:, K.LONG_WORD_CHARS]),
    )


def _with_encoded_lengths(rows: pl.DataFrame, text: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    """Adds _encoded0.. : the lengths in characters of each patterns.ENCODED pattern's matches in the
    text, matched on its ASCII stand-in (kernels.ascii_stand_ins: the same spans, without the Rust
    engine's slow path for Unicode \\b on non-ASCII text)."""
    data, offsets = text
    stand_in = _strings(*K.ascii_stand_ins(data, offsets, K.regex_stand_ins(data)))
    lengths = pl.DataFrame({"s": stand_in}).select(
        pl.col("s").str.extract_all(p).list.eval(pl.element().str.len_bytes()).alias(f"_encoded{j}") for j, p in enumerate(P.ENCODED)
    )
    return rows.with_columns(lengths)


def _ext() -> pl.Expr:
    base = pl.col("path").fill_null("").str.split("/").list.last()
    return pl.when(base.str.contains(".", literal=True)).then(base.str.split(".").list.last()).otherwise(pl.lit(""))


def _ast_frame(part: pl.DataFrame, counts_of: PythonCounter | None = None) -> pl.DataFrame:
    """One parse per Python file (the only per-file Python step): counts for the python signals."""
    counts = (counts_of or python_counts_many)(part["text"].to_list())
    return pl.DataFrame(
        {
            I: part[I],
            "ok": [c is not None for c in counts],
            "defs": [c["defs"] if c else None for c in counts],
            "simple": [c["simplefunc"] if c else None for c in counts],
            "classes": [c["classes"] if c else None for c in counts],
            "cassign": [c["class_assigns"] if c else None for c in counts],
            "vz": [c["var_zero"] if c else None for c in counts],
            "doc_chars": [c["doc_chars"] if c else 0 for c in counts],
        },
        schema_overrides={I: part.schema[I], "doc_chars": pl.Int64, "defs": pl.Int64, "simple": pl.Int64, "classes": pl.Int64, "cassign": pl.Int64, "vz": pl.Boolean},
    )


def _lines_matching(pattern: str) -> pl.Expr:
    """Lines of the code part that a line pattern matches (patterns.py: no line pattern matches a
    newline): in multi-line mode each match runs on to the end of its line, so matches count lines."""
    return pl.col("code").str.count_matches("(?m)(?:" + pattern + ")[^\n]*")


def _ascii_ignore_case(word: str) -> str:
    """A pattern for `word in line.lower()`, for ASCII words whose only "i" (if any) starts them: no
    other character lowercases to an ASCII letter but İ, whose "i̇" is followed by a combining dot."""
    return "".join(f"[{c}{c.upper()}]" for c in word)


def _per_line(count: pl.Expr, empty=None) -> pl.Expr:
    return _div(count, pl.col("n_cl"), empty)


def _line_family(q: str, funcs: pl.Expr, logic: tuple[str, ...], printing: str) -> list[pl.Expr]:
    """The signals every language group has: function lines, "no logic" lines (functions plus lines
    matching any of `logic`, once per pattern) and print lines, each per non-blank code line."""
    no_logic = funcs + pl.sum_horizontal(_lines_matching(p) for p in logic)
    return [
        _per_line(funcs).alias(q + "frac_lines_func_ratio"),
        _per_line(no_logic).alias(q + "score_lines_no_logic"),
        _per_line(_lines_matching(printing)).alias(q + "frac_lines_print"),
    ]


def _python_signals(part: pl.DataFrame, ast_frame: pl.DataFrame) -> pl.DataFrame:
    q = "qsc_codepython_"
    imports = pl.col("imports")
    part = part.join(ast_frame, on=I).with_columns(_lines_matching(_ascii_ignore_case("import")).alias("imports"))
    no_logic = pl.col("defs") + imports + pl.col("classes") + _lines_matching(P.PY_RETURN_LINE) + pl.col("cassign")
    return part.select(
        I,
        pl.col("ok").alias(q + "cate_ast"),
        _per_line(_lines_matching(_ascii_ignore_case("pass")), 0.0).alias(q + "frac_lines_pass"),
        _per_line(imports, 0.0).alias(q + "frac_lines_import"),
        _per_line(_lines_matching("print")).alias(q + "frac_lines_print"),
        _per_line(pl.col("defs")).alias(q + "frac_lines_func_ratio"),
        pl.col("vz").alias(q + "cate_var_zero"),
        _per_line(pl.col("simple")).alias(q + "frac_lines_simplefunc"),
        _per_line(no_logic).alias(q + "score_lines_no_logic"),
        python_comment_fraction().alias("_python_comments"),
    )


def python_comment_fraction() -> pl.Expr:
    """The released Python comment fraction (get_text_python): cleaned docstrings joined by newlines, a
    newline, the # comments without their #s; over the text's length."""
    doc, hashes = pl.col("doc_chars"), pl.col("hash_text")
    return _div(doc + hashes + ((doc > 0) & (hashes > 0)).cast(pl.Int64), pl.col("_chars"))


def _c_signals(part: pl.DataFrame, q: str, printing: str) -> pl.DataFrame:
    code = pl.col("code")
    funcs = pl.col("funcs")
    part = part.with_columns(code.str.count_matches(P.C_FUNC).alias("funcs"))
    no_logic = funcs + pl.sum_horizontal(code.str.count_matches(p) for p in P.C_LOGIC)  # matches, as the released findall
    return part.select(
        I,
        _per_line(funcs).alias(q + "frac_lines_func_ratio"),
        _per_line(no_logic).alias(q + "score_lines_no_logic"),
        _per_line(_lines_matching(printing)).alias(q + "frac_lines_print"),
        code.str.count_matches(P.C_MAIN).cast(pl.Float64).alias(q + "nums_lines_main"),
        pl.when(~_ext().is_in(list(P.C_HEADER_EXTS))).then(_per_line(_lines_matching(P.C_PREPROC_LINE))).alias(q + "frac_lines_preprocessor_directives"),
        code.str.slice(0, 200).str.contains("bits/stdc++.h", literal=True).alias(q + "cate_bitsstdc"),
        _per_line(_lines_matching("goto")).alias(q + "frac_lines_goto"),
        (~code.str.contains(P.C_VAR)).alias(q + "cate_var_zero"),
    )


def _csharp_signals(part: pl.DataFrame) -> pl.DataFrame:
    q = "qsc_codecsharp_"
    part = part.with_columns(_lines_matching(P.CS_FUNC_LINE).alias("funcs"))  # used twice: computed once
    funcs = pl.col("funcs")
    logic = (P.CS_USING_LINE, P.CS_UNINIT_LINE, P.CS_RETURN_LINE, P.CS_CLASS_LINE)
    return part.select(I, *_line_family(q, funcs, logic, r"Console\.WriteLine"), pl.lit(False).alias(q + "cate_var_zero"))


def _go_signals(part: pl.DataFrame) -> pl.DataFrame:
    q = "qsc_codego_"
    part = part.with_columns(_lines_matching(P.GO_FUNC_LINE).alias("funcs"))  # used twice: computed once
    funcs = pl.col("funcs")
    logic = (P.GO_IMPORT_LINE, P.GO_VAR_LINE, P.GO_RETURN_LINE, P.GO_TYPE_LINE)
    test_file = pl.col("path").fill_null("").str.split("/").list.last().str.to_lowercase().str.ends_with("_test.go")
    return part.select(I, *_line_family(q, funcs, logic, r"fmt\.Print"), pl.lit(False).alias(q + "cate_var_zero"), test_file.alias(q + "cate_testfile"))


def _java_signals(part: pl.DataFrame) -> pl.DataFrame:
    q = "qsc_codejava_"
    part = part.with_columns(_lines_matching(P.JAVA_FUNC_LINE).alias("funcs"))  # used twice: computed once
    funcs = pl.col("funcs")
    logic = (P.JAVA_IMPORT_LINE, P.JAVA_FIELD_LINE, P.JAVA_RETURN_LINE, P.JAVA_CLASS_LINE)
    var_zero = _lines_matching(P.JAVA_VAR_LINE) == 0
    return part.select(I, *_line_family(q, funcs, logic, r"System\.out\.print"), var_zero.alias(q + "cate_var_zero"))


def _javascript_signals(part: pl.DataFrame) -> pl.DataFrame:
    """Without a parser: brackets outside strings must balance (cate_ast); the rest needs that."""
    q = "qsc_codejavascript_"
    code = pl.col("code")
    bare = code.str.replace_all(P.JS_STRINGS, "")
    balanced = pl.all_horizontal(bare.str.count_matches(a, literal=True) == bare.str.count_matches(b, literal=True) for a, b in P.JS_BRACKETS)
    part = part.with_columns(
        balanced.alias("ok"),
        code.str.count_matches(P.JS_FUNC_VAR).alias("fvar"),
        (code.str.count_matches(P.JS_FUNC_DECL) + code.str.count_matches(P.JS_FUNC_EXPORT)).alias("fother"),
    )
    ok, fvar = pl.col("ok"), pl.col("fvar")
    funcs = fvar + pl.col("fother")
    family = _line_family(q, funcs, (P.JS_IMPORT_LINE, P.JS_SIMPLE_DECL_LINE, P.JS_RETURN_LINE, P.JS_CLASS_LINE), r"console\.log")
    return part.select(
        I,
        ok.alias(q + "cate_ast"),
        *[pl.when(ok).then(e).alias(e.meta.output_name()) for e in family[:2]],
        family[2],
        pl.when(ok).then(code.str.count_matches(P.JS_DECL) == fvar).alias(q + "cate_var_zero"),
    )


def _html_signals(part: pl.DataFrame) -> pl.DataFrame:
    q = "qsc_codehtml_"
    data, offsets = K.utf8_buffers(part["text"])  # bs4's get_text, as patterns.HTML_* define it (html_text.py)
    visible = pl.Series(visible_chars(data, offsets, K.regex_stand_ins(data)))
    return part.select(
        I,
        pl.lit(True).alias(q + "cate_ast"),
        visible.cast(pl.Float64).alias(q + "num_chars_text"),
        _div(pl.lit(visible), pl.col("_chars")).alias(q + "frac_words_text"),
    )


def _per_language(rows: pl.DataFrame, ast_future=None) -> list[pl.DataFrame]:
    """Language-group signals, one frame per language profile present in `rows`."""
    groups = {
        "python": lambda part: _python_signals(part, ast_future.result() if ast_future is not None else _ast_frame(part)),
        "c": lambda part: _c_signals(part, "qsc_codec_", "printf"),
        "cpp": lambda part: _c_signals(part, "qsc_codecpp_", "printf|cout"),
        "csharp": _csharp_signals,
        "go": _go_signals,
        "java": _java_signals,
        "javascript": _javascript_signals,
        "html": _html_signals,
    }
    out = []
    for profile, signals_of in groups.items():
        part = rows.filter(pl.col("profile") == profile)
        if part.height:
            out.append(signals_of(part))
    return out


def _code_signals(rows: pl.DataFrame, ast_future=None) -> pl.DataFrame:
    pre = "qsc_code_"
    text = K.utf8_buffers(rows["text"])
    rows = _code_line_counts(_split_code(rows, text))
    length = pl.col("_chars")
    code_len = pl.col("code").str.len_chars()
    size = pl.col("text").str.len_bytes()
    if "size" in rows.columns:
        size = pl.col("size").fill_null(size)

    general = _with_encoded_lengths(rows, text).with_columns(code_len.alias("_code_len")).select(
        I,
        *_char_signals(pre),
        size.cast(pl.Float64).alias(pre + "size_file_byte"),
        _num_lines().alias(pre + "num_lines"),
        pl.col("_line_max").cast(pl.Float64).alias(pre + "num_chars_line_max"),
        _div(length, _num_lines(), 0.0).alias(pre + "num_chars_line_mean"),
        _alpha().alias(pre + "frac_chars_alphabet"),
        _div(pl.col("comment_len"), length).alias(pre + "frac_chars_comments"),
        pl.col("text").str.slice(0, 100).str.contains("<?xml version=", literal=True).alias(pre + "cate_xml_start"),
        pl.col("text").str.slice(0, 200).str.to_lowercase().str.contains(P.AUTOGEN).alias(pre + "cate_autogen"),
        _per_line(pl.col("dup_lines")).alias(pre + "frac_lines_dupe_lines"),
        _per_line(pl.col("long_lines")).alias(pre + "frac_lines_long_string"),
        _div(pl.col("str_chars"), pl.col("_code_len")).alias(pre + "frac_chars_string_length"),
        _div(pl.col("long_chars"), pl.col("_code_len")).alias(pre + "frac_chars_long_word_length"),
        _per_line(_lines_matching(P.STRING_CONCAT)).alias(pre + "frac_lines_string_concat"),
        # the released test: one match over 1024 characters, or all matches of the three patterns over half the text
        (pl.any_horizontal([pl.col(f"_encoded{j}").list.max() > 1024 for j in range(len(P.ENCODED))]).fill_null(False)
         | (pl.sum_horizontal([pl.col(f"_encoded{j}").list.sum() for j in range(len(P.ENCODED))]) > 0.5 * length)).alias(pre + "cate_encoded_data"),
        _div(_match_chars("code", P.HEX_WORD), pl.col("_code_len")).alias(pre + "frac_chars_hex_words"),
        _div(pl.col("comment_text").str.count_matches(r"(?im)^[^\n]*(?:your code here|fixme|todo)"), _num_lines()).alias(pre + "frac_lines_prompt_comments"),
        _per_line(_lines_matching(_ascii_ignore_case("assert"))).alias(pre + "frac_lines_assert"),
    )
    words = _word_signals(rows, pre, doc=False, text=text)
    out = general.join(words, on=I, how="left")
    for part in _per_language(rows, ast_future):
        out = out.join(part, on=I, how="left", coalesce=True)
        if "_python_comments" in out.columns:  # Python's comment fraction is the released get_text_python's
            out = out.with_columns(pl.coalesce("_python_comments", pre + "frac_chars_comments").alias(pre + "frac_chars_comments")).drop("_python_comments")
        dupes = [c for c in out.columns if c.endswith("_right")]
        if dupes:
            out = out.with_columns(
                *[pl.coalesce(pl.col(c[: -len("_right")]), pl.col(c)).alias(c[: -len("_right")]) for c in dupes]
            ).drop(dupes)
    return out


# ---------------------------------------------------------------- entry point


def compute_signals(frame, python_counts: PythonCounter | None = None) -> pl.DataFrame:
    """doc_id, profile + every signal of registry.SIGNALS (null where it does not apply). `python_counts`
    maps the Python files' texts to their parse counts (default: signals_python.python_counts_many on a
    thread of this process; filter_signals passes one that runs in worker processes)."""
    df = frame if isinstance(frame, pl.DataFrame) else pl.from_arrow(frame)
    for col in ("doc_id", "language", "text"):
        if col not in df.columns:
            raise ValueError(f"compute_signals needs a '{col}' column (got {df.columns})")
    optional = [c for c in ("path", "size", "lang") if c in df.columns]
    df = df.select("doc_id", "language", pl.col("text").fill_null(""), *optional)
    if "path" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("path"))
    langs = df.select(pl.col("language"), pl.col("lang") if "lang" in df.columns else pl.lit(None, dtype=pl.String).alias("lang")).unique()
    mapping = langs.with_columns(
        pl.struct("language", "lang").map_elements(lambda s: profile_for(s["language"], s["lang"]), return_dtype=pl.String).alias("profile"),
        pl.col("language").map_elements(comment_style, return_dtype=pl.String).alias("style"),
    )
    if "lang" not in df.columns:
        mapping = mapping.drop("lang")
    df = df.with_row_index(I).join(mapping, on=[c for c in ("language", "lang") if c in mapping.columns], how="left", nulls_equal=True)
    df = _with_char_counts(df.with_columns(pl.col("profile").fill_null("excluded"), pl.col("style").fill_null("none")))

    result = df.select(I, "doc_id", "profile", (pl.col("profile") == "excluded").alias("cate_excluded"))
    text_rows = df.filter(pl.col("profile").is_in(["en", "zh"]))
    code_rows = df.filter(pl.col("profile").is_in(list(CODE_PROFILES)))
    if text_rows.height:
        result = result.join(_doc_signals(text_rows), on=I, how="left")
    if code_rows.height:
        # The parse holds the GIL (or waits on worker processes) while Polars releases it: parse the
        # Python files on a second thread while the vectorized work runs.
        python_rows = code_rows.filter(pl.col("profile") == "python").select(I, "text")
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(_ast_frame, python_rows, python_counts) if python_rows.height else None
            result = result.join(_code_signals(code_rows, future), on=I, how="left")
    columns = []
    for name, (kind, _) in SIGNALS.items():
        dtype = _DTYPES[kind]
        columns.append(pl.col(name).cast(dtype) if name in result.columns else pl.lit(None, dtype=dtype).alias(name))
    return result.sort(I).select("doc_id", "profile", *columns)
