"""Every signal the filter computes (REFINECODE.md §3.2): name -> (dtype, one-line definition).

The rule loader accepts only these names; compute_signals() returns exactly these columns.
Signals listed in NOT_COMPUTED are known RefineCode signals that are disabled in every released
profile and need something we do not ship (RedPajama stop list, esprima, Java name checks): a rule
may name them only with `enabled: false`.
"""

from __future__ import annotations

F, B = "float", "bool"

_SHARED = {
    "num_words": (F, "count of normalized words (NW)"),
    "num_chars": (F, "length of the text in code points"),
    "mean_word_length": (F, "mean NW length; null if no words"),
    "frac_words_unique": (F, "distinct NW / NW"),
    "frac_chars_top_2grams": (F, "chars of the most frequent word 2-gram x its count / NW chars (0 if count <= 1)"),
    "frac_chars_top_3grams": (F, "same for 3-grams"),
    "frac_chars_top_4grams": (F, "same for 4-grams"),
    **{f"frac_chars_dupe_{n}grams": (F, f"NW chars covered by {n}-grams seen twice or more / NW chars") for n in range(5, 11)},
    "frac_chars_replacement_symbols": (F, "U+FFFD / length; null if empty"),
    "frac_chars_digital": (F, "decimal digits / visible chars; 1.0 if none visible"),
    "frac_chars_whitespace": (F, "whitespace / length; 1.0 if empty"),
    "frac_chars_alphabet": (F, "letters / visible chars; 0.0 if none visible"),
    "frac_chars_hex_words": (F, "chars of whole-word 0x... literals / length (code: of the code part)"),
    "num_lines": (F, "lines (a final line without newline counts)"),
    "frac_lines_dupe_lines": (F, "duplicated lines / lines (doc: stripped non-empty; code: code lines, whitespace removed)"),
}
DOC = {
    **_SHARED,
    "num_sentences": (F, "sentence-like runs ending in .!? (or CJK/Arabic equivalents)"),
    "entropy_unigram": (F, "Shannon entropy (ln) of NW counts"),
    "frac_words_all_caps": (F, "raw tokens that are all upper case / raw tokens"),
    "frac_words_full_bracket": (F, "raw tokens equal to 【 or 】 / raw tokens"),
    "frac_chars_curly_bracket": (F, "{ and } / length"),
    "frac_chars_dupe_lines": (F, "chars of stripped lines occurring twice or more / chars of stripped lines"),
    "frac_lines_end_with_readmore": (F, "lines ending with ..., …, 全文, 详情, 详细, 更多 / lines"),
    "frac_lines_start_with_bullet": (F, "lines starting with a bullet glyph / lines"),
    "frac_chars_hyperlink_html_tag": (F, "chars of URLs and single-line <...> tags / length"),
}
CODE = {
    **_SHARED,
    "size_file_byte": (F, "file size in bytes"),
    "num_chars_line_max": (F, "longest line including its newline"),
    "num_chars_line_mean": (F, "length / lines"),
    "frac_chars_comments": (F, "comment part chars / length"),
    "cate_xml_start": (B, "'<?xml version=' in the first 100 chars"),
    "cate_autogen": (B, "first 200 chars (lowercased) contain generate / autogen / do not edit"),
    "frac_lines_long_string": (F, "string-literal lines with > 20 tokens / code lines"),
    "frac_chars_string_length": (F, "single-line string contents chars / code part chars"),
    "frac_chars_long_word_length": (F, "> 20-char non-URL words inside strings, chars / code part chars"),
    "frac_lines_string_concat": (F, "code lines like = \"..\" + \".. / code lines"),
    "cate_encoded_data": (B, "base64-like, hex-byte or \\uXXXX runs > 1024 chars or > 50% of the text"),
    "frac_lines_prompt_comments": (F, "comment lines with 'your code here' / fixme / todo / all lines"),
    "frac_lines_assert": (F, "code lines containing 'assert' / code lines"),
}
PYTHON = {
    "cate_ast": (B, "ast.parse succeeds"),
    "frac_lines_func_ratio": (F, "def nodes / code lines"),
    "cate_var_zero": (B, "no plain-name assignment, for target or def parameter"),
    "frac_lines_pass": (F, "code lines containing 'pass' (any case) / code lines"),
    "frac_lines_import": (F, "code lines containing 'import' (any case) / code lines"),
    "frac_lines_simplefunc": (F, "defs whose body is a single return / code lines"),
    "score_lines_no_logic": (F, "(defs + import lines + classes + return lines + class-body assignments) / code lines"),
    "frac_lines_print": (F, "code lines containing 'print' / code lines"),
}
C_FAMILY = {
    "frac_lines_func_ratio": (F, "function-like header/call matches / code lines"),
    "nums_lines_main": (F, "main(...) { occurrences"),
    "score_lines_no_logic": (F, "(func matches + #include + uninitialised decls + trivial returns + class heads) / code lines"),
    "frac_lines_preprocessor_directives": (F, "lines with a preprocessor directive, 'struct' or 'using' / code lines; null for headers"),
    "frac_lines_print": (F, "lines with printf (C) / cout or printf (C++) / code lines"),
    "cate_bitsstdc": (B, "bits/stdc++.h in the first 200 chars of the code part"),
    "frac_lines_goto": (F, "lines with goto / code lines"),
    "cate_var_zero": (B, "no typed variable declaration"),
}
CSHARP = {
    "frac_lines_func_ratio": (F, "method header lines / code lines"),
    "cate_var_zero": (B, "always false, as in the reference (bug kept)"),
    "score_lines_no_logic": (F, "(headers + using + uninitialised decls + returns + class heads) / code lines"),
    "frac_lines_print": (F, "lines with Console.WriteLine / code lines"),
}
GO = {
    "cate_testfile": (B, "file name ends with _test.go"),
    "frac_lines_func_ratio": (F, "column-0 func lines / code lines"),
    "cate_var_zero": (B, "always false, as in the reference (bug kept)"),
    "score_lines_no_logic": (F, "(funcs + imports + var decls + returns + type struct/interface) / code lines"),
    "frac_lines_print": (F, "lines with fmt.Print / code lines"),
}
JAVA = {
    "cate_var_zero": (B, "no typed field/variable declaration line"),
    "frac_lines_func_ratio": (F, "method header lines / code lines"),
    "score_lines_no_logic": (F, "(headers + imports + fields + trivial returns + class heads) / code lines"),
    "frac_lines_print": (F, "lines with System.out.print / code lines"),
}
JAVASCRIPT = {
    "cate_ast": (B, "brackets balance outside strings and comments (stand-in for an esprima parse)"),
    "cate_var_zero": (B, "no var/let/const declarator other than function expressions"),
    "frac_lines_func_ratio": (F, "(function declarations + function-initialised declarators + module.exports functions) / code lines"),
    "score_lines_no_logic": (F, "(functions + imports + trivial declarators + trivial returns + classes) / code lines"),
    "frac_lines_print": (F, "lines with console.log / code lines"),
}
HTML = {
    "cate_ast": (B, "always true (bs4 html.parser practically never raises)"),
    "frac_words_text": (F, "visible text chars / length"),
    "num_chars_text": (F, "visible text chars (script, style, comments and tags removed)"),
}

SIGNALS: dict[str, tuple[str, str]] = {"cate_excluded": (B, "the language is one of RefineCode's excluded types")}
for _prefix, _group in (
    ("qsc_doc_", DOC),
    ("qsc_code_", CODE),
    ("qsc_codepython_", PYTHON),
    ("qsc_codec_", C_FAMILY),
    ("qsc_codecpp_", C_FAMILY),
    ("qsc_codecsharp_", CSHARP),
    ("qsc_codego_", GO),
    ("qsc_codejava_", JAVA),
    ("qsc_codejavascript_", JAVASCRIPT),
    ("qsc_codehtml_", HTML),
):
    for _name, _spec in _group.items():
        SIGNALS[_prefix + _name] = _spec

NOT_COMPUTED = frozenset(
    {
        "qsc_doc_frac_words_redpajama_stop",
        "qsc_doc_cate_code_related_file_name",
        "qsc_codejava_frac_words_no_modifier",
        "qsc_codejava_frac_words_legal_var_name",
        "qsc_codejava_frac_words_legal_func_name",
        "qsc_codejava_frac_words_legal_class_name",
        "qsc_codejavascript_frac_words_legal_var_name",
        "qsc_codejavascript_frac_words_legal_func_name",
        "qsc_codejavascript_frac_words_legal_class_name",
        "qsc_codejavascript_num_statement_line",
    }
)
