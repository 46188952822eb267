"""The numba kernels against the reference's per-file Python on edge cases the bench corpus may lack."""

import random

import numpy as np
import polars as pl
import pytest

from codelake.filtered import kernels as K
from codelake.filtered import patterns as P
from codelake.filtered import reference as R

SNIPPETS = [
    "",
    "x = 1",
    'a = "unterminated\nb = \'x\\\'y\' # tail\n',
    's = "ends with backslash\\\nnext"\n',
    '    """indented docstring"""\nx = """kept string""" + \'\'\'also\'\'\'\n"""never closed\n',
    "/* block */ int a; // line\n/* never closed\nchar *s = \"a/*b\";\n",
    "-- dash comment\nSELECT '--not' FROM t; /* c */\n",
    "<p>text</p><!-- note --><!-- open\n",
    "é = 'ünïcode \u3000 words' # ça\n\x01\x02 odd bytes\n",
    "s = '" + "w" * 30 + " http://" + "x" * 25 + "'\nt = \"" + " ".join(["ab"] * 25) + "\"\n",
    "},\n},\n  x  \n\tx\n\n  \n",
]
STYLES = ["c", "hash", "python", "dash", "markup", "none", "c_nl", "hash_nl", "dash_nl"]


def _buffers(texts: list[str]):
    return K.utf8_buffers(pl.Series(texts, dtype=pl.String))


@pytest.mark.parametrize("style", STYLES)
def test_split_code_matches_reference(style):
    data, offsets = _buffers(SNIPPETS)
    styles = pl.Series([K.STYLES.index(style)] * len(SNIPPETS)).to_numpy()
    code, code_offsets, comments, comment_offsets, comment_chars, hash_text = K.split_code(data, offsets, styles)
    for d, text in enumerate(SNIPPETS):
        ref_code, ref_comments = R.split_code(text, style)
        assert bytes(code[code_offsets[d] : code_offsets[d + 1]]).decode() == ref_code
        assert comment_chars[d] == sum(len(c) for c in ref_comments)
        assert hash_text[d] == (sum(len(c) - c.count("#") for c in ref_comments if c.startswith("#")) if style == "python" else 0)
        assert bytes(comments[comment_offsets[d] : comment_offsets[d + 1]]).decode() == "".join(ref_comments)


def test_code_lines_and_strings_match_reference():
    data, offsets = _buffers(SNIPPETS)
    classes = K.character_classes(data)
    lines = K.code_line_counts(data, offsets, classes)
    strings = K.string_counts(data, offsets, classes)
    for d, text in enumerate(SNIPPETS):
        cl = [line for line in R.split_lines(text) if not R.is_blank(line)]
        squashed = [R.re.sub(P.WS, "", line) for line in cl]
        dupes = sum(1 for s in squashed if squashed.count(s) > 1 and s != "}," and len(s) > 1)
        assert list(lines[d]) == [len(cl), dupes]
        contents_a = [R.string_content(m) for m in R.rx(P.STR_A).findall(text)]
        long_lines = sum(1 for c in contents_a for piece in c.split("\n") if len(R.rx(P.WORD_RUN).findall(piece)) > 20)
        contents_b = [R.string_content(m) for m in R.rx(P.STR_B).findall(text)]
        long_chars = sum(len(w) for c in contents_b for w in R.rx(P.LONG_WORD).findall(c) if not R.rx(P.HTTP).search(w))
        assert list(strings[d]) == [long_lines, sum(len(c) for c in contents_b), long_chars]


NORMALIZATION_CASES = [
    "ΟΔΟΣ ΟΔΟΣ. ΣΑ Σ aΣ Σb 'Σ' ΑΣ'Β",  # final sigma: its context ends at whitespace, not at punctuation or ASCII letters
    "e\u0301 cafe\u0301 \u0301lone <\u0338 =\u0338 A\u030a",  # compositions with an ASCII base; a mark after a space
    "ﬁle Ｆｕｌｌ\u00a0nbsp … ½ İstanbul ẞ ŉ",  # compatibility forms, one-to-many case mappings
    "ASCII ONLY Words, then 中文字符 mixed with English 文本 and more",
    "\u3000ideographic\u2028line\u0085next \t\x0b\x0c\r\n",
    "",
    "plain ascii",
]


def _ascii_lower(data):
    return bytes(b + 32 if 0x41 <= b <= 0x5A else b for b in data)


def test_nfkc_lower_buffers_is_nfkc_lower_but_for_ascii_case():
    rng = random.Random(7)
    pieces = ["Σ", "σ", "A", "b", " ", "\n", "\u0301", "e", "ﬁ", "É", "中", "'", ".", "\u00a0", "İ", "x" * 300]
    texts = NORMALIZATION_CASES + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(500)]
    data, offsets = _buffers(texts)
    docs = np.array([d for d, t in enumerate(texts) if not t.isascii()], dtype=np.int64)
    out, out_offsets = K.nfkc_lower_buffers(data, offsets, docs)
    expected = K.nfkc_lower(texts)
    for d, text in enumerate(texts):
        got = bytes(out[out_offsets[d] : out_offsets[d + 1]])
        assert _ascii_lower(got) == _ascii_lower(expected[d].encode()), text


def test_word_stats_match_reference_on_repetitive_texts():
    rng = random.Random(3)
    vocab = ["a", "bb", "ccc", "Dd", "é", "ee", "ΣΑ", "x_1", "{", "}"]
    texts = ["", "one", "a a", "a b a b a b a b a b a b a b"] + [
        " ".join(rng.choice(vocab[: rng.randint(1, len(vocab))]) for _ in range(rng.randint(0, 200))) for _ in range(200)
    ]
    data, offsets = _buffers(texts)
    docs = np.array([d for d, t in enumerate(texts) if not t.isascii()], dtype=np.int64)
    data, offsets = K.nfkc_lower_buffers(data, offsets, docs) if docs.size else (data, offsets)
    stats = K.word_stats(data, offsets, K.character_classes(data), K.ASCII_PUNCT)
    for d, text in enumerate(texts):
        ref = R.word_signals(R.normalized_words(text), "", doc=False)
        assert stats[d, K.WORDS] == ref["num_words"], text
        for k in (2, 3, 4):
            assert stats[d, K.TOP + k - 2] == ref[f"frac_chars_top_{k}grams"], (k, text)
        for k in range(5, 11):
            assert stats[d, K.DUPE + k - 5] == ref[f"frac_chars_dupe_{k}grams"], (k, text)


def test_encoded_patterns_match_the_same_spans_on_the_ascii_stand_in():
    # Non-ASCII characters next to hex bytes, between them, inside base64 runs: word characters (letters,
    # a combining mark, which the Rust engine's \w takes and Python's does not), whitespace, others.
    rng = random.Random(11)
    separators = [",", " ", "\n", "\u3000", "\u00a0"] * 6 + [", ", "é", "\u0301", "中", "—", "_", ""]
    noise = ["A" * 70, "+/=", "\\u00e9" * 8, "x"]

    def unit() -> str:
        if rng.random() < 0.1:
            return rng.choice(noise)
        return rng.choice(["", "0x", "\\x"]) + rng.choice(["1f", "ab", "9C", "00"]) + rng.choice(separators)

    texts = ["é0x12 0x34", "12\u300034\u300056\u300078\u30009a\u3000bc\u3000de\u3000f0"] + [
        "".join(unit() for _ in range(rng.randint(0, 30))) for _ in range(800)
    ]
    data, offsets = _buffers(texts)
    stand_in_data, stand_in_offsets = K.ascii_stand_ins(data, offsets, K.regex_stand_ins(data))
    stand_in = [bytes(stand_in_data[stand_in_offsets[d] : stand_in_offsets[d + 1]]).decode("ascii") for d in range(len(texts))]
    for pattern in P.ENCODED:
        lengths = pl.DataFrame({"t": texts, "s": stand_in}).select(
            pl.col("t").str.extract_all(pattern).list.eval(pl.element().str.len_chars()).alias("t"),
            pl.col("s").str.extract_all(pattern).list.eval(pl.element().str.len_chars()).alias("s"),
        )
        assert lengths["t"].to_list() == lengths["s"].to_list(), pattern
        assert sum(map(len, lengths["t"].to_list())) >= 10  # the patterns do match here
