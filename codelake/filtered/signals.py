"""Vectorized quality signals (REFINECODE.md §3): one pass over a frame of files -> a signals table.

Input: a Polars (or Arrow) frame with doc_id, language, text and optionally path (file name, for
header / _test.go checks), size (bytes) and lang (natural-language label; "zh" routes text to the zh
profile). Output: doc_id, profile, and one column per signal in codelake.filtered.registry.SIGNALS
(null where a signal does not apply to the file's profile). Every signal is computed once per file;
decisions (decide.py) only read this table.

How: Polars string expressions over whole columns (Rust regex), and "long" frames for per-line and
per-word work (explode lines / words with the row index, flag them, group back). Only the Python
`ast` parse is a per-file Python call. The definitions are those of reference.py, which computes the
same values with plain per-file Python loops; the patterns are shared (patterns.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from codelake.filtered import patterns as P
from codelake.filtered.profiles import CODE_PROFILES, comment_style, profile_for
from codelake.filtered.registry import SIGNALS
from codelake.filtered.signals_python import python_ast_counts

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


def _sum_by(frame: pl.DataFrame, exprs: dict[str, pl.Expr]) -> pl.DataFrame:
    return frame.group_by(I).agg(*[e.cast(pl.Int64).sum().alias(k) for k, e in exprs.items()])


def _attach(rows: pl.DataFrame, parts: list[pl.DataFrame], fill: dict[str, object]) -> pl.DataFrame:
    out = rows.select(I)
    for part in parts:
        out = out.join(part, on=I, how="left")
    return out.with_columns(*[pl.col(k).fill_null(v) for k, v in fill.items() if k in out.columns])


# ---------------------------------------------------------------- words (NW) and n-grams


_K = np.uint64(0x9E3779B97F4A7C15)
_C = np.uint64(0xC2B2AE3D27D4EB4F)


def _shift(a: np.ndarray, k: int, fill=0) -> np.ndarray:
    out = np.empty_like(a)
    k = min(k, len(a))
    out[: len(a) - k] = a[k:]
    out[len(a) - k :] = fill
    return out


def _counts(keys: np.ndarray) -> np.ndarray:
    """Occurrences of each element's value within `keys` (hash grouping in Polars)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    frame = pl.DataFrame({"k": keys}, schema={"k": pl.UInt64})
    return frame.select(pl.len().over("k")).to_series().to_numpy().astype(np.int64)


def _ngram_signals(words: pl.DataFrame, prefix: str, fill: dict) -> pl.DataFrame:
    """top_{2,3,4}grams and dupe_{5..10}grams over the long word frame (sorted by row, then position).

    An n-gram key is a polynomial hash of its word hashes (wrapping uint64), seeded with the row index so
    counts stay within a file. An n-gram can occur twice only if both its (n-1)-grams do, so each step
    counts only those candidates; every other n-gram that fits in the file occurs exactly once.
    """
    idx = words[I].to_numpy().astype(np.int64)
    h = words["h"].to_numpy()
    wl = words["wl"].to_numpy().astype(np.int64)
    pos = words["pos"].to_numpy().astype(np.int64)
    rem = words["nw"].to_numpy().astype(np.int64) - pos  # words from here to the end of the file
    size = len(idx)
    starts = np.nonzero(pos == 0)[0]
    docs = idx[starts]
    with np.errstate(over="ignore"):
        g = idx.astype(np.uint64) * _C + h
    dup = np.ones(size, dtype=bool)  # (counting single words prunes too little to pay off)
    csum = np.zeros(size + 11, dtype=np.int64)
    np.cumsum(wl, out=csum[1 : size + 1])
    csum[size + 1 :] = csum[size]
    total = np.add.reduceat(wl, starts).astype(np.float64) if size else np.zeros(0)
    cols = {I: pl.Series(I, docs).cast(words.schema[I])}
    for n in range(2, 11):
        with np.errstate(over="ignore"):
            g = g * _K + _shift(h, n - 1)
        valid = rem >= n
        cand = valid & dup
        cand[:-1] &= dup[1:]
        cnt = valid.astype(np.int64)
        cnt[cand] = _counts(g[cand])
        dup = cnt >= 2
        if n <= 4:
            name = f"{prefix}frac_chars_top_{n}grams"
            key = cnt * (1 << 32) - pos
            best = np.maximum.reduceat(key, starts) if size else np.zeros(0, dtype=np.int64)
            best_cnt = (best + (1 << 32) - 1) >> 32
            best_pos = best_cnt * (1 << 32) - best
            at = starts + best_pos
            chars = (csum[at + n] - csum[at]).astype(np.float64)
            value = np.where(best_cnt > 1, chars * best_cnt / np.where(total > 0, total, 1.0), 0.0)
        else:
            name = f"{prefix}frac_chars_dupe_{n}grams"
            cs = np.zeros(size + n, dtype=np.int64)
            np.cumsum(dup, out=cs[n:])
            covered = (cs[n:] - cs[:size]) > 0
            dupe = np.add.reduceat(np.where(covered, wl, 0), starts).astype(np.float64) if size else np.zeros(0)
            value = np.divide(dupe, total, out=np.zeros(len(docs)), where=total > 0)
        cols[name] = pl.Series(name, value, dtype=pl.Float64)
        fill[name] = 0.0
    return pl.DataFrame(cols)


def _word_signals(rows: pl.DataFrame, prefix: str, doc: bool) -> pl.DataFrame:
    # NFKC leaves ASCII unchanged: normalize only the rows that have a non-ASCII character.
    ascii_only = ~pl.col("text").str.contains(r"[^\x00-\x7F]")
    texts = pl.concat(
        [
            rows.filter(ascii_only).select(I, "text"),
            rows.filter(~ascii_only).select(I, pl.col("text").str.normalize("NFKC")),
        ]
    )
    norm = pl.col("text").str.to_lowercase().str.replace_all(P.ASCII_PUNCT, " ")
    words = (
        texts.select(I, norm.str.extract_all(P.TOKEN_RS).alias("w"))
        .explode("w", empty_as_null=True)
        .drop_nulls("w")
        .with_columns(pl.col("w").str.len_chars().cast(pl.Int64).alias("wl"), pl.col("w").hash(42).alias("h"))
        .drop("w")
        .with_columns(pl.int_range(pl.len()).over(I).alias("pos"), pl.len().over(I).alias("nw"))
    )
    base = words.group_by(I).agg(
        pl.len().alias("n"), pl.col("wl").sum().alias("total"), pl.col("h").n_unique().alias("uniq")
    )
    parts = [
        base.select(
            I,
            pl.col("n").cast(pl.Float64).alias(prefix + "num_words"),
            _div(pl.col("total"), pl.col("n")).alias(prefix + "mean_word_length"),
            _div(pl.col("uniq"), pl.col("n")).alias(prefix + "frac_words_unique"),
        )
    ]
    fill: dict[str, object] = {prefix + "num_words": 0.0}
    parts.append(_ngram_signals(words, prefix, fill))
    if doc:
        ent = (
            words.group_by(I, "h")
            .agg(pl.len().alias("k"), pl.col("nw").first())
            .with_columns((pl.col("k") / pl.col("nw")).alias("p"))
            .group_by(I)
            .agg((-(pl.col("p") * pl.col("p").log()).sum()).round(8).alias(prefix + "entropy_unigram"))
        )
        parts.append(ent)
    return _attach(rows, parts, fill)


# ---------------------------------------------------------------- shared character signals


def _char_signals(prefix: str) -> list[pl.Expr]:
    length = pl.col("text").str.len_chars()
    ws = pl.col("text").str.count_matches(P.WS)
    return [
        length.cast(pl.Float64).alias(prefix + "num_chars"),
        _div(pl.col("text").str.count_matches(P.REPLACEMENT, literal=True), length).alias(prefix + "frac_chars_replacement_symbols"),
        _div(pl.col("text").str.count_matches(r"\d"), length - ws, 1.0).alias(prefix + "frac_chars_digital"),
        _div(ws, length, 1.0).alias(prefix + "frac_chars_whitespace"),
    ]


def _alpha() -> pl.Expr:
    visible = pl.col("text").str.len_chars() - pl.col("text").str.count_matches(P.WS)
    return _div(pl.col("text").str.count_matches(r"\p{L}"), visible, 0.0)


def _num_lines() -> pl.Expr:
    t = pl.col("text")
    return (t.str.count_matches("\n", literal=True) + ((t.str.len_chars() > 0) & ~t.str.ends_with("\n")).cast(pl.UInt32)).cast(pl.Float64)


# ---------------------------------------------------------------- text files (qsc_doc_)


def _doc_signals(rows: pl.DataFrame) -> pl.DataFrame:
    pre = "qsc_doc_"
    length = pl.col("text").str.len_chars()
    raw = pl.col("text").str.extract_all(P.TOKEN_RS)
    visible = length - pl.col("text").str.count_matches(P.WS)
    upper = pl.element().str.contains(r"\p{Uppercase}") & ~pl.element().str.contains(r"[\p{Lowercase}\p{Lt}]")
    direct = rows.select(
        I,
        *_char_signals(pre),
        _num_lines().alias(pre + "num_lines"),
        pl.col("text").str.count_matches(P.SENTENCE).cast(pl.Float64).alias(pre + "num_sentences"),
        _div(raw.list.eval(upper).list.sum(), raw.list.len()).alias(pre + "frac_words_all_caps"),
        _div(raw.list.eval(pl.element().is_in(["【", "】"])).list.sum(), raw.list.len()).alias(pre + "frac_words_full_bracket"),
        _div(pl.col("text").str.count_matches(r"[{}]"), length).alias(pre + "frac_chars_curly_bracket"),
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
    words = _word_signals(rows, pre, doc=True)
    return direct.join(per_line, on=I, how="left").join(words, on=I, how="left")


# ---------------------------------------------------------------- code files (qsc_code_ + language groups)


def _split_code(rows: pl.DataFrame) -> pl.DataFrame:
    """Adds code (code part), comment_len, comment_text (comments joined by newlines)."""
    out = []
    safe = pl.col("text").str.replace_all("[\x01\x02]", "\x03")
    for style, part in rows.group_by("style"):
        style = style[0]
        if style == "none":
            out.append(part.with_columns(pl.col("text").alias("code"), pl.lit(0, dtype=pl.Int64).alias("comment_len"),
                                         pl.lit("").alias("comment_text")))
            continue
        s_group, c_groups = P.SPLIT_GROUPS[style]
        c_groups = c_groups if isinstance(c_groups, tuple) else (c_groups,)
        repl = "${%d}\x01%s\x02" % (s_group, "".join("${%d}" % g for g in c_groups))
        marked = safe.str.replace_all(P.SPLIT[style], repl)
        part = part.with_columns(marked.alias("_m")).with_columns(
            pl.col("_m").str.replace_all("\x01[^\x02]*\x02", "").alias("code"),
            pl.col("_m").str.extract_all("\x01[^\x02]*\x02").list.join("\n").alias("comment_text"),
        )
        part = part.with_columns(
            (pl.col("_m").str.len_chars() - pl.col("code").str.len_chars() - 2 * pl.col("_m").str.count_matches("\x01", literal=True))
            .cast(pl.Int64)
            .alias("comment_len")
        ).drop("_m")
        out.append(part)
    return pl.concat(out, how="diagonal_relaxed")


def _string_signals(rows: pl.DataFrame) -> pl.DataFrame:
    def contents(pattern: str) -> pl.DataFrame:
        m = rows.select(I, pl.col("code").str.extract_all(pattern).alias("s")).explode("s", empty_as_null=True).drop_nulls("s")
        d = pl.when(pl.col("s").str.starts_with("'''") | pl.col("s").str.starts_with('"""')).then(3).otherwise(1)
        return m.select(I, pl.col("s").str.slice(d, pl.col("s").str.len_chars() - 2 * d).alias("s"))

    a = contents(P.STR_A)
    pieces = a.with_columns(pl.col("s").str.split("\n")).explode("s", empty_as_null=True)
    long_lines = pieces.group_by(I).agg((pl.col("s").str.count_matches(P.WORD_RUN) > 20).sum().alias("long_lines"))
    b = contents(P.STR_B)
    str_chars = b.group_by(I).agg(pl.col("s").str.len_chars().cast(pl.Int64).sum().alias("str_chars"))
    lw = b.select(I, pl.col("s").str.extract_all(P.LONG_WORD).alias("w")).explode("w", empty_as_null=True).drop_nulls("w")
    long_chars = lw.filter(~pl.col("w").str.contains(P.HTTP)).group_by(I).agg(
        pl.col("w").str.len_chars().cast(pl.Int64).sum().alias("long_chars")
    )
    return _attach(rows, [long_lines, str_chars, long_chars], {"long_lines": 0, "str_chars": 0, "long_chars": 0})


def _ext() -> pl.Expr:
    base = pl.col("path").fill_null("").str.split("/").list.last()
    return pl.when(base.str.contains(".", literal=True)).then(base.str.split(".").list.last()).otherwise(pl.lit(""))


def _ast_frame(part: pl.DataFrame) -> pl.DataFrame:
    """One ast.parse per Python file (the only per-file Python step): counts for the python signals."""
    counts = [python_ast_counts(t) for t in part["text"].to_list()]
    return pl.DataFrame(
        {
            I: part[I],
            "ok": [c is not None for c in counts],
            "defs": [c["defs"] if c else None for c in counts],
            "simple": [c["simplefunc"] if c else None for c in counts],
            "classes": [c["classes"] if c else None for c in counts],
            "cassign": [c["class_assigns"] if c else None for c in counts],
            "vz": [c["var_zero"] if c else None for c in counts],
        },
        schema_overrides={I: part.schema[I], "defs": pl.Int64, "simple": pl.Int64, "classes": pl.Int64, "cassign": pl.Int64, "vz": pl.Boolean},
    )


def _per_language(rows: pl.DataFrame, cl: pl.DataFrame, ast_future=None) -> list[pl.DataFrame]:
    """Language-group signals for the rows of each language profile (cl: code lines with _i, profile, line)."""
    out = []
    n_cl = pl.col("n_cl")
    code = pl.col("code")

    def lines_of(profile: str, exprs: dict[str, pl.Expr]) -> pl.DataFrame:
        return _sum_by(cl.filter(pl.col("profile") == profile), exprs)

    def subset(profile: str, line_exprs: dict[str, pl.Expr], row_exprs: list[pl.Expr]) -> pl.DataFrame | None:
        part = rows.filter(pl.col("profile") == profile)
        if part.height == 0:
            return None
        counted = lines_of(profile, line_exprs)
        part = part.join(counted, on=I, how="left").with_columns(*[pl.col(k).fill_null(0) for k in line_exprs])
        return part.with_columns(*row_exprs)

    line = pl.col("line")
    # python
    part = rows.filter(pl.col("profile") == "python")
    if part.height:
        q = "qsc_codepython_"
        ast_frame = ast_future.result() if ast_future is not None else _ast_frame(part)
        lower = line.str.to_lowercase()
        counted = lines_of("python", {
            "pass": lower.str.contains("pass", literal=True),
            "imp": lower.str.contains("import", literal=True),
            "prt": line.str.contains("print", literal=True),
            "ret": line.str.contains(P.PY_RETURN_LINE),
        })
        part = part.join(ast_frame, on=I).join(counted, on=I, how="left").with_columns(
            pl.col("pass", "imp", "prt", "ret").fill_null(0)
        )
        out.append(part.select(
            I,
            pl.col("ok").alias(q + "cate_ast"),
            _div(pl.col("pass"), n_cl, 0.0).alias(q + "frac_lines_pass"),
            _div(pl.col("imp"), n_cl, 0.0).alias(q + "frac_lines_import"),
            _div(pl.col("prt"), n_cl).alias(q + "frac_lines_print"),
            _div(pl.col("defs"), n_cl).alias(q + "frac_lines_func_ratio"),
            pl.col("vz").alias(q + "cate_var_zero"),
            _div(pl.col("simple"), n_cl).alias(q + "frac_lines_simplefunc"),
            _div(pl.col("defs") + pl.col("imp") + pl.col("classes") + pl.col("ret") + pl.col("cassign"), n_cl).alias(q + "score_lines_no_logic"),
        ))
    # c / cpp
    for profile, q in (("c", "qsc_codec_"), ("cpp", "qsc_codecpp_")):
        printing = line.str.contains("printf", literal=True)
        if profile == "cpp":
            printing = printing | line.str.contains("cout", literal=True)
        part = subset(profile, {
            "inc": line.str.contains(P.C_INCLUDE_LINE), "uninit": line.str.contains(P.C_UNINIT_LINE),
            "ret": line.str.contains(P.C_RETURN_LINE), "cls": line.str.contains(P.C_CLASS_LINE),
            "pre": line.str.contains(P.C_PREPROC_LINE), "prt": printing, "goto": line.str.contains("goto", literal=True),
        }, [code.str.count_matches(P.C_FUNC).alias("funcs")])
        if part is not None:
            out.append(part.select(
                I,
                _div(pl.col("funcs"), n_cl).alias(q + "frac_lines_func_ratio"),
                code.str.count_matches(P.C_MAIN).cast(pl.Float64).alias(q + "nums_lines_main"),
                _div(pl.col("funcs") + pl.col("inc") + pl.col("uninit") + pl.col("ret") + pl.col("cls"), n_cl).alias(q + "score_lines_no_logic"),
                pl.when(~_ext().is_in(list(P.C_HEADER_EXTS))).then(_div(pl.col("pre"), n_cl)).alias(q + "frac_lines_preprocessor_directives"),
                _div(pl.col("prt"), n_cl).alias(q + "frac_lines_print"),
                code.str.slice(0, 200).str.contains("bits/stdc++.h", literal=True).alias(q + "cate_bitsstdc"),
                _div(pl.col("goto"), n_cl).alias(q + "frac_lines_goto"),
                (~code.str.contains(P.C_VAR)).alias(q + "cate_var_zero"),
            ))
    # csharp
    q = "qsc_codecsharp_"
    part = subset("csharp", {
        "head": line.str.contains(P.CS_FUNC_LINE), "using": line.str.contains(P.CS_USING_LINE),
        "uninit": line.str.contains(P.CS_UNINIT_LINE), "ret": line.str.contains(P.CS_RETURN_LINE),
        "cls": line.str.contains(P.CS_CLASS_LINE), "prt": line.str.contains("Console.WriteLine", literal=True),
    }, [])
    if part is not None:
        out.append(part.select(
            I,
            _div(pl.col("head"), n_cl).alias(q + "frac_lines_func_ratio"),
            pl.lit(False).alias(q + "cate_var_zero"),
            _div(pl.col("head") + pl.col("using") + pl.col("uninit") + pl.col("ret") + pl.col("cls"), n_cl).alias(q + "score_lines_no_logic"),
            _div(pl.col("prt"), n_cl).alias(q + "frac_lines_print"),
        ))
    # go
    q = "qsc_codego_"
    part = subset("go", {
        "func": line.str.contains(P.GO_FUNC_LINE), "imp": line.str.contains(P.GO_IMPORT_LINE),
        "var": line.str.contains(P.GO_VAR_LINE), "ret": line.str.contains(P.GO_RETURN_LINE),
        "typ": line.str.contains(P.GO_TYPE_LINE), "prt": line.str.contains("fmt.Print", literal=True),
    }, [])
    if part is not None:
        out.append(part.select(
            I,
            pl.col("path").fill_null("").str.split("/").list.last().str.to_lowercase().str.ends_with("_test.go").alias(q + "cate_testfile"),
            _div(pl.col("func"), n_cl).alias(q + "frac_lines_func_ratio"),
            pl.lit(False).alias(q + "cate_var_zero"),
            _div(pl.col("func") + pl.col("imp") + pl.col("var") + pl.col("ret") + pl.col("typ"), n_cl).alias(q + "score_lines_no_logic"),
            _div(pl.col("prt"), n_cl).alias(q + "frac_lines_print"),
        ))
    # java
    q = "qsc_codejava_"
    part = subset("java", {
        "var": line.str.contains(P.JAVA_VAR_LINE), "head": line.str.contains(P.JAVA_FUNC_LINE),
        "imp": line.str.contains(P.JAVA_IMPORT_LINE), "field": line.str.contains(P.JAVA_FIELD_LINE),
        "ret": line.str.contains(P.JAVA_RETURN_LINE), "cls": line.str.contains(P.JAVA_CLASS_LINE),
        "prt": line.str.contains("System.out.print", literal=True),
    }, [])
    if part is not None:
        out.append(part.select(
            I,
            (pl.col("var") == 0).alias(q + "cate_var_zero"),
            _div(pl.col("head"), n_cl).alias(q + "frac_lines_func_ratio"),
            _div(pl.col("head") + pl.col("imp") + pl.col("field") + pl.col("ret") + pl.col("cls"), n_cl).alias(q + "score_lines_no_logic"),
            _div(pl.col("prt"), n_cl).alias(q + "frac_lines_print"),
        ))
    # javascript
    q = "qsc_codejavascript_"
    bare = code.str.replace_all(P.JS_STRINGS, "")
    balanced = pl.all_horizontal(
        [bare.str.count_matches(a, literal=True) == bare.str.count_matches(b, literal=True) for a, b in P.JS_BRACKETS]
    )
    part = subset("javascript", {
        "imp": line.str.contains(P.JS_IMPORT_LINE), "decl": line.str.contains(P.JS_SIMPLE_DECL_LINE),
        "ret": line.str.contains(P.JS_RETURN_LINE), "cls": line.str.contains(P.JS_CLASS_LINE),
        "prt": line.str.contains("console.log", literal=True),
    }, [
        balanced.alias("ok"),
        (code.str.count_matches(P.JS_FUNC_DECL) + code.str.count_matches(P.JS_FUNC_VAR) + code.str.count_matches(P.JS_FUNC_EXPORT)).alias("funcs"),
        code.str.count_matches(P.JS_FUNC_VAR).alias("fvar"),
        code.str.count_matches(P.JS_DECL).alias("decls"),
    ])
    if part is not None:
        ok = pl.col("ok")
        out.append(part.select(
            I,
            ok.alias(q + "cate_ast"),
            _div(pl.col("prt"), n_cl).alias(q + "frac_lines_print"),
            pl.when(ok).then(pl.col("decls") == pl.col("fvar")).alias(q + "cate_var_zero"),
            pl.when(ok).then(_div(pl.col("funcs"), n_cl)).alias(q + "frac_lines_func_ratio"),
            pl.when(ok).then(_div(pl.col("funcs") + pl.col("imp") + pl.col("decl") + pl.col("ret") + pl.col("cls"), n_cl)).alias(q + "score_lines_no_logic"),
        ))
    # html
    q = "qsc_codehtml_"
    part = rows.filter(pl.col("profile") == "html")
    if part.height:
        visible = pl.col("text").str.replace_all(P.HTML_DROP, "").str.replace_all(P.HTML_TAG, "").str.replace_all(P.HTML_ENTITY, "&")
        out.append(part.select(
            I,
            pl.lit(True).alias(q + "cate_ast"),
            visible.str.len_chars().cast(pl.Float64).alias(q + "num_chars_text"),
            _div(visible.str.len_chars(), pl.col("text").str.len_chars()).alias(q + "frac_words_text"),
        ))
    return out


def _code_signals(rows: pl.DataFrame, ast_future=None) -> pl.DataFrame:
    pre = "qsc_code_"
    rows = _split_code(rows)
    length = pl.col("text").str.len_chars()
    code_len = pl.col("code").str.len_chars()
    parts_len = pl.col("text").str.split("\n").list.eval(pl.element().str.len_chars())
    line_max = pl.max_horizontal(parts_len.list.slice(0, parts_len.list.len() - 1).list.max() + 1, parts_len.list.last())

    cl = _lines(rows, "code", ["profile"]).filter(pl.col("line").str.strip_chars(P.WS_CHARS) != "")
    cl = cl.with_columns(pl.col("line").str.replace_all(P.WS, "").alias("sq"))
    per_line = cl.with_columns((pl.len().over(I, "sq") > 1).alias("dup")).group_by(I).agg(
        pl.len().alias("n_cl"),
        (pl.col("dup") & (pl.col("sq") != "},") & (pl.col("sq").str.len_chars() > 1)).sum().alias("dup_lines"),
        pl.col("line").str.to_lowercase().str.contains("assert", literal=True).sum().alias("assert"),
        pl.col("line").str.contains(P.STRING_CONCAT).sum().alias("concat"),
    )
    strings = _string_signals(rows)
    rows = rows.join(per_line, on=I, how="left").join(strings, on=I, how="left").with_columns(
        pl.col("n_cl", "dup_lines", "assert", "concat").fill_null(0)
    )
    size = pl.col("text").str.len_bytes()
    if "size" in rows.columns:
        size = pl.col("size").fill_null(size)

    def encoded(pattern: str) -> pl.Expr:
        lens = pl.col("text").str.extract_all(pattern).list.eval(pl.element().str.len_chars())
        return ((lens.list.max() > 1024) | (lens.list.sum() > 0.5 * length)).fill_null(False)

    n_cl = pl.col("n_cl")
    general = rows.select(
        I,
        *_char_signals(pre),
        size.cast(pl.Float64).alias(pre + "size_file_byte"),
        _num_lines().alias(pre + "num_lines"),
        line_max.cast(pl.Float64).alias(pre + "num_chars_line_max"),
        _div(length, _num_lines(), 0.0).alias(pre + "num_chars_line_mean"),
        _alpha().alias(pre + "frac_chars_alphabet"),
        _div(pl.col("comment_len"), length).alias(pre + "frac_chars_comments"),
        pl.col("text").str.slice(0, 100).str.contains("<?xml version=", literal=True).alias(pre + "cate_xml_start"),
        pl.col("text").str.slice(0, 200).str.to_lowercase().str.contains(P.AUTOGEN).alias(pre + "cate_autogen"),
        _div(pl.col("dup_lines"), n_cl).alias(pre + "frac_lines_dupe_lines"),
        _div(pl.col("long_lines"), n_cl).alias(pre + "frac_lines_long_string"),
        _div(pl.col("str_chars"), code_len).alias(pre + "frac_chars_string_length"),
        _div(pl.col("long_chars"), code_len).alias(pre + "frac_chars_long_word_length"),
        _div(pl.col("concat"), n_cl).alias(pre + "frac_lines_string_concat"),
        pl.any_horizontal([encoded(p) for p in P.ENCODED]).alias(pre + "cate_encoded_data"),
        _div(_match_chars("code", P.HEX_WORD), code_len).alias(pre + "frac_chars_hex_words"),
        _div(pl.col("comment_text").str.count_matches(r"(?im)^[^\n]*(?:your code here|fixme|todo)"), _num_lines()).alias(pre + "frac_lines_prompt_comments"),
        _div(pl.col("assert"), n_cl).alias(pre + "frac_lines_assert"),
    )
    words = _word_signals(rows, pre, doc=False)
    out = general.join(words, on=I, how="left")
    for part in _per_language(rows, cl, ast_future):
        out = out.join(part, on=I, how="left", coalesce=True)
        dupes = [c for c in out.columns if c.endswith("_right")]
        if dupes:
            out = out.with_columns(
                *[pl.coalesce(pl.col(c[: -len("_right")]), pl.col(c)).alias(c[: -len("_right")]) for c in dupes]
            ).drop(dupes)
    return out


# ---------------------------------------------------------------- entry point


def compute_signals(frame) -> pl.DataFrame:
    """doc_id, profile + every signal of registry.SIGNALS (null where it does not apply)."""
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
    df = df.with_columns(pl.col("profile").fill_null("excluded"), pl.col("style").fill_null("none"))

    result = df.select(I, "doc_id", "profile", (pl.col("profile") == "excluded").alias("cate_excluded"))
    text_rows = df.filter(pl.col("profile").is_in(["en", "zh"]))
    code_rows = df.filter(pl.col("profile").is_in(list(CODE_PROFILES)))
    if text_rows.height:
        result = result.join(_doc_signals(text_rows), on=I, how="left")
    if code_rows.height:
        # ast.parse holds the GIL but Polars releases it: parse the Python files on a second thread
        # while the vectorized work runs.
        python_rows = code_rows.filter(pl.col("profile") == "python").select(I, "text")
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(_ast_frame, python_rows) if python_rows.height else None
            result = result.join(_code_signals(code_rows, future), on=I, how="left")
    columns = []
    for name, (kind, _) in SIGNALS.items():
        dtype = _DTYPES[kind]
        columns.append(pl.col(name).cast(dtype) if name in result.columns else pl.lit(None, dtype=dtype).alias(name))
    return result.sort(I).select("doc_id", "profile", *columns)
