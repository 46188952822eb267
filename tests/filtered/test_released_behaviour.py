"""Signals pinned to what OpenCoder's released filter (OpenCoder-llm/opc_data_filtering) computes on small
examples; the expected values were read from that filter run on the same text (bench/filter --opc-root)."""

import polars as pl

from codelake.filtered import compute_signals
from codelake.filtered.reference import reference_signals

HTML = (
    "<html>\n  <head><title>T</title>\n<script>var a = 1;</script></head>\n  <body>\n"
    "    <p>Hi &amp; bye</p>  <b>x</b>\n  <pre>\n  <span>k</span>  <span>v</span>\n</pre></body></html>\n"
)


def _both(language: str, text: str, path: str) -> tuple[dict, dict]:
    frame = pl.DataFrame([{"doc_id": "d", "language": language, "text": text, "path": path, "size": len(text.encode())}])
    ours = compute_signals(frame).row(0, named=True)
    return ours, reference_signals("d", language, text, path, len(text.encode()))


def test_html_text_is_beautifulsoup_get_text():
    # BeautifulSoup(HTML, "html.parser").get_text() == '\nT\n\n\nHi & bye x\n\n  k  v\n\n': whitespace-only
    # strings between tags become one "\n" or " ", except inside <pre>; script text and tags are gone.
    ours, ref = _both("HTML", HTML, "page.html")
    for signals in (ours, ref):
        assert signals["qsc_codehtml_num_chars_text"] == 25.0
        assert signals["qsc_codehtml_frac_words_text"] == 25 / len(HTML)


PYTHON = 'def f(x):\n    r"""Doc\n    more\n    """\n    return x\n\n\nclass A:\n    u\'\'\'Doc\'\'\'\n    y = 1\n'


def test_python_docstrings_leave_the_code_part_as_pygments_splits_them():
    # The released code part (Pygments' PythonLexer, String.Doc removed) is
    # 'def f(x):\n    r\n    return x\n\n\nclass A:\n    u\n    y = 1\n': a prefixed docstring is a docstring,
    # its indent and prefix stay code, so 6 code lines; func_ratio 1/6, no_logic (def, class, return, y) 4/6.
    from codelake.filtered.reference import split_code

    code, comments = split_code(PYTHON, "python")
    assert code == 'def f(x):\n    r\n    return x\n\n\nclass A:\n    u\n    y = 1\n'
    assert comments == ['"""Doc\n    more\n    """', "'''Doc'''"]
    ours, ref = _both("Python", PYTHON, "pkg/mod.py")
    for signals in (ours, ref):
        assert signals["qsc_codepython_frac_lines_func_ratio"] == 1 / 6
        assert signals["qsc_codepython_score_lines_no_logic"] == 4 / 6


def test_triple_quoted_strings_cross_lines_in_the_string_length():
    # The released '''(.*?)'''|"""(.*?)"""|'([^\n]*?)'|"([^\n]*?)" (re.DOTALL): the template's 24 characters
    # between its triple quotes count, with the 1 of 'x': 25 / 53 = 0.47169811 there.
    text = 'TEMPLATE = """\\\n<p>{a}</p>\n<p>{b}</p>\n"""\nname = \'x\'\n'
    assert len(text) == 53
    ours, ref = _both("Python", text, "pkg/mod.py")
    for signals in (ours, ref):
        assert round(signals["qsc_code_frac_chars_string_length"], 8) == 0.47169811


def test_c_line_comments_take_their_newline_as_pygments_cs_lexer_does():
    # Released split of this C file: code 'int a; int b;\nint main() { return 0; }\n', comments
    # '// TODO note\n// one\n// two\n' (27 of 66 characters: 0.40909091); 1 of 5 lines a prompt comment (0.2);
    # 2 code lines: one function (0.5), function + line-start simple variable (1.0).
    text = "int a; // TODO note\nint b;\n// one\n// two\nint main() { return 0; }\n"
    from codelake.filtered.reference import split_code

    assert split_code(text, "c_nl")[0] == "int a; int b;\nint main() { return 0; }\n"
    ours, ref = _both("C", text, "src/a.c")
    for signals in (ours, ref):
        assert round(signals["qsc_code_frac_chars_comments"], 8) == 0.40909091
        assert signals["qsc_code_frac_lines_prompt_comments"] == 0.2
        assert signals["qsc_codec_frac_lines_func_ratio"] == 0.5
        assert signals["qsc_codec_score_lines_no_logic"] == 1.0
    js_ours, _ = _both("JavaScript", text.replace("int ", "var "), "src/a.js")  # its lexer keeps the newline in the code
    assert js_ours["qsc_code_frac_chars_comments"] == 24 / 66


def test_class_body_assignments_count_each_name_target():
    # Released no_logic of this file: def 1 + class 1 + return 1 + class-body names a, b, c, d 4 over 6 code
    # lines = 1.16666667 (a = b = 1 is two simple variables there).
    text = "class A:\n    a = b = 1\n    c: int = 2\n    d = 3\n\n    def f(self):\n        return 1\n"
    ours, ref = _both("Python", text, "pkg/mod.py")
    for signals in (ours, ref):
        assert signals["qsc_codepython_score_lines_no_logic"] == 7 / 6


def test_prompt_comment_lines_are_lines_of_the_concatenated_comments():
    # Pygments' Python comment tokens stop before the newline, and the released filter concatenates them:
    # '# TODO one# TODO two# three' is one comment line, so 1 prompt line of 5 lines (0.2), not 2.
    ours, ref = _both("Python", "# TODO one\n# TODO two\n# three\nx = 1\ny = 2\n", "pkg/mod.py")
    for signals in (ours, ref):
        assert signals["qsc_code_frac_lines_prompt_comments"] == 0.2


def test_encoded_data_is_the_released_hex_pattern():
    # Released: whole two-digit hex words in a run of 8+ (space-separated here: a 1199-character match, over
    # 1024) is encoded data; a table of 4-digit decimals is not (its digit pairs are not words).
    blob = 'blob = "' + " ".join("%02x" % (i % 256) for i in range(400)) + '"\n'
    table = "table = [" + ", ".join(str(1000 + i) for i in range(300)) + "]\n"
    for text, expected in ((blob, True), (table, False)):
        ours, ref = _both("Python", text, "pkg/mod.py")
        assert ours["qsc_code_cate_encoded_data"] is expected and ref["qsc_code_cate_encoded_data"] is expected


def test_python_comment_fraction_is_get_text_python():
    # Released get_text_python: 'Class doc.\nModule.\n\nIndented line.\n one  two three' (50 of 162 characters):
    # docstrings cleaned (indent gone, quotes gone, async def's not counted), comments without their #s.
    text = ('"""Module.\n\n    Indented line.\n"""\n# one # two\nx = 1  # three\n\n\nclass A:\n    """Class doc."""\n\n'
            '    async def f(self):\n        """Not counted."""\n        return 1\n')
    assert len(text) == 162
    ours, ref = _both("Python", text, "pkg/mod.py")
    for signals in (ours, ref):
        assert signals["qsc_code_frac_chars_comments"] == 50 / 162
