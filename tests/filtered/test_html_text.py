"""html_text.visible_chars against the regex chain it replaces (patterns.HTML_*, run by Polars' Rust
engine and by Python `re` as reference.py runs it), on edge cases and on random tag soup."""

import random

import polars as pl
from codelake.filtered import kernels as K
from codelake.filtered import patterns as P
from codelake.filtered import reference as R
from codelake.filtered.html_text import visible_chars

CASES = [
    "",
    "<html><body><p>hello</p></body></html>\n",
    "a < b and c > d <unclosed",
    "<script>var a = '<p>';</script>shown<SCRIPT src=x>hidden</ScRiPt>",
    "<scripts>kept</scripts><script>never closed",
    "<style>p{}</style><stylesheet>x</stylesheet><!-- c --><!-->x<!---->y<!-- open",
    "<\u017fcript>long s</\u017fcript>shown",  # U+017F folds to s: a script block for the regex engine
    "<scripté>word char after the name</script>",
    "<script\u3000>space after the name</script>",
    "<p>  \n  </p><p> \t </p><p>\u00a0</p><b>x</b>   <i>y</i>",
    "<pre>  keep  \n  this  </pre> <PRE class=a>\n\n</pre> <textarea>  \t </textarea><prefix> \n </prefix>",
    "<pre>never closed  \n  <p>  </p>",
    "<pre>x\x02</pre\x03 odd markers \x02 in \x03 the text <a>\x03 \x02</a>",
    "&amp; &#169; &#x1F600; &#xZZ; &#; &x1; &a1b2; &nosemicolon &#12a; &\u00e9;",
    "<a <b>>text</b>><<>>",
]


def _regex_chain(texts: list[str]) -> list[int]:
    """The previous implementation: patterns.HTML_* as Polars string replacements."""
    marked = pl.col("t").str.replace_all(P.HTML_DROP, P.HTML_SEGMENT_END + P.HTML_SEGMENT_START)
    marked = marked.str.replace_all(P.HTML_TAG, P.HTML_SEGMENT_END + "${0}" + P.HTML_SEGMENT_START)
    marked = pl.concat_str(pl.lit(P.HTML_SEGMENT_START), marked, pl.lit(P.HTML_SEGMENT_END))
    for blank in (P.HTML_BLANK_WITH_NEWLINE, P.HTML_BLANK):
        marked = marked.str.replace_all(blank, "${1}${2}${3}${4}")
    visible = marked.str.replace_all(P.HTML_WRAPPED_TAG, "").str.replace_all(P.HTML_ENTITY, "&")
    return pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(visible.str.len_chars().alias("n"))["n"].to_list()


def _kernel(texts: list[str]) -> list[int]:
    data, offsets = K.utf8_buffers(pl.Series(texts, dtype=pl.String))
    return visible_chars(data, offsets, K.regex_stand_ins(data)).tolist()


def _tag_soup(rng: random.Random) -> str:
    pieces = ["<", ">", "</", "<p>", "</p>", "<pre>", "</pre>", "<textarea x>", "</TEXTAREA>", "<script>", "</script>",
              "<style ", "</style>", "<!--", "-->", " ", "  ", "\n", "\t", "\r", "\x0c", "\u00a0", "\x02", "\x03",
              "&amp;", "&#60;", "&#x3c;", "&", "#", ";", "a", "é", "\u017f", "x", "1", "s"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))


def test_cases_match_the_regex_chain():
    assert _kernel(CASES) == _regex_chain(CASES)


def test_cases_match_the_reference():
    expected = [R.reference_signals(str(i), "HTML", t)["qsc_codehtml_num_chars_text"] for i, t in enumerate(CASES)]
    assert _kernel(CASES) == expected


def test_random_tag_soup_matches_the_regex_chain():
    rng = random.Random(15)
    texts = [_tag_soup(rng) for _ in range(3000)]
    got, expected = _kernel(texts), _regex_chain(texts)
    differ = [t for t, a, b in zip(texts, got, expected) if a != b]
    assert not differ, f"{len(differ)} of {len(texts)} differ, e.g. {differ[:3]!r}"
