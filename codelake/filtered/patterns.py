"""Regexes shared by the vectorized signals (Polars / Rust regex) and the reference (Python `re`).

Every pattern here is written in the common subset of both engines (no look-around, no back-references,
no \\p classes), and both engines use leftmost-first alternation, so a pattern matches the same spans
in both. Whitespace is an explicit class rather than \\s: Python's \\s also matches \\x1c-\\x1f, Rust's
does not.
"""

from __future__ import annotations

# Unicode White_Space, literally.
WS_CHARS = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000"
WS = "[" + WS_CHARS + "]"
NOT_WS = "[^" + WS_CHARS + "]"
HWS = "[ \t]"  # horizontal whitespace inside a line
LINE_WS = "[" + WS_CHARS.replace("\n", "") + "]"  # WS less the newline: the same within one line

# Normalized words (NW): after NFKC + lowercase, ASCII punctuation becomes a space; then wordpunct.
ASCII_PUNCT = r"[!-/:-@\[-`{-~]"
TOKEN = r"\w+|[^\w" + WS_CHARS + "]+"  # Python re: \w = str.isalnum() or "_"
# The same class for Rust regex, whose \w also takes combining marks (Mn/Mc) and all connector punctuation.
TOKEN_RS = r"[\p{L}\p{N}_]+|[^\p{L}\p{N}_" + WS_CHARS + "]+"

SENTENCE = r"\b[^.!?。！？؟]+[.!?。！？؟]*"
URL = r"https?://[^" + WS_CHARS + "<>\"']+"
HTML_TAG_LINE = r"<[^<>\n]*>"
HEX_WORD = r"\b0[xX][0-9a-fA-F]+\b"
REPLACEMENT = "\ufffd"

# §3.1 readmore: lines ending (after trimming whitespace and closing brackets) with one of these.
READMORE_END = r"(?:\.\.\.|…|全文|详情|详细|更多)[\]】)>》]*$"
# §3.1 bullets: lines starting (after left trim) with a bullet / box glyph.
BULLETS = "•‣⁃◦▪▫■□▢▣●○◎◉◆◇◈★☆✦✧☐☑☒✓✔✗✘➢➣➤►▶▸▹▻❖❥❧⦿⦾∙⁌⁍⧫⬤◘◙♦♠♣♥➔→⇒"
BULLET_START = "^" + WS + "*[" + BULLETS + "]"

# Strings and comments (§3.1 code/comment split; our regex stand-in for Pygments, see REPORT in rules).
DQ = r'"(?:[^"\\\n]|\\.)*"'
SQ = r"'(?:[^'\\\n]|\\.)*'"
TRIPLE = r'"""[\s\S]*?"""|' + r"'''[\s\S]*?'''"
# Group 1 = a string (kept in the code part), group 2 = a comment (moved to the comment part).
SPLIT = {
    "c": "(" + DQ + "|" + SQ + r")|(//[^\n]*|/\*[\s\S]*?\*/)",
    "hash": "(" + DQ + "|" + SQ + r")|(#[^\n]*)",
    # A docstring as Pygments' PythonLexer sees one (the released filter's split): a triple-quoted string
    # opening a line, after any r/u/b prefix; indent and prefix stay in the code part.
    "python": r"(?m)^([ \t]*[rRuUbB]{0,2})(" + TRIPLE + ")|(" + TRIPLE + "|" + DQ + "|" + SQ + r")|(#[^\n]*)",
    "dash": "(" + DQ + "|" + SQ + r")|(--[^\n]*|/\*[\s\S]*?\*/)",
    "markup": r"()(<!--[\s\S]*?-->)",
    # Languages whose Pygments lexer ends a line comment's token with its newline (the released split then
    # moves the newline out of the code part, joining the code lines around it): profiles.LINE_COMMENT_NEWLINE.
    "c_nl": "(" + DQ + "|" + SQ + r")|(//[^\n]*\n?|/\*[\s\S]*?\*/)",
    "hash_nl": "(" + DQ + "|" + SQ + r")|(#[^\n]*\n?)",
    "dash_nl": "(" + DQ + "|" + SQ + r")|(--[^\n]*\n?|/\*[\s\S]*?\*/)",
}
# Python's docstring alternative comes first and is a comment: normalise to (string, comment) groups.
SPLIT_GROUPS = {"c": (1, 2), "hash": (1, 2), "dash": (1, 2), "markup": (1, 2), "python": ((1, 3), (2, 4)),
                "c_nl": (1, 2), "hash_nl": (1, 2), "dash_nl": (1, 2)}

STR_A = r"'''[\s\S]*?'''|" + r'"""[\s\S]*?"""|' + r"'[\s\S]*?'|" + r'"[\s\S]*?"'
# The released string_length / long_word_length pattern: triple-quoted strings cross lines (re.DOTALL), quoted do not.
STR_B = r"'''[\s\S]*?'''|" + r'"""[\s\S]*?"""|' + r"'[^\n]*?'|" + r'"[^\n]*?"'
LONG_WORD = NOT_WS + "{21,}"
HTTP = r"https?://" + NOT_WS
WORD_RUN = NOT_WS + "+"
STRING_CONCAT = r"=" + LINE_WS + r"*(?:\"[^\"\n]*\"|'[^'\n]*')" + LINE_WS + r"*\+" + LINE_WS + r"*[\"']"

PROMPT = r"(?i)your code here|fixme|todo"
AUTOGEN = r"generate|autogen|do not edit"

# cate_encoded_data (§3.2)
ENC_BASE64 = r"[A-Za-z0-9+/=\n]{64,}"
ENC_HEX = r"(?:\b(?:0x|\\x)?[0-9a-fA-F]{2}(?:,|\b" + WS + r"*)){8,}"  # the released pattern, \s as WS
ENC_UNICODE = r"(?:\\u[0-9A-Fa-f]{4}){8,}"
ENCODED = (ENC_BASE64, ENC_HEX, ENC_UNICODE)

# ---- per-language regexes (line patterns are applied to one code line, without its newline) ----
# No line pattern can match a newline (negated classes exclude it), so the same pattern in multi-line
# mode also finds the matching lines of a whole text (signals.py counts them that way).
# C and C++: the released filter's utils/code/c_utils.py patterns (`regex`, \s written as WS), each counted
# over the whole code part as its findall does; `(?:\s*\*+)?\s+` is its `\s*(?:\*+)?\s+` without the ambiguity
# that backtracks exponentially in Python's re (the same strings, the same leftmost-first matches).
C_FUNC = r"\b(?:[a-zA-Z_]\w*(?:" + WS + r"*\*+)?" + WS + r"+)+\*?" + WS + r"*[a-zA-Z_]\w*\([^)]*\)"
C_MAIN = r"\bmain" + WS + r"*\([^)]*\)" + WS + r"*\{"
C_INCLUDE = r"(?m)^" + WS + r"*#" + WS + r"*include" + WS + r"+[\"<][^\">]+[\">]"
C_SIMPLE_VAR = r"(?m)^" + WS + r"*(?:unsigned" + WS + r"+)?(?:int|float|double|char|bool|std::string|auto)" + WS + r"+\w+" + WS + r"*;"
C_SIMPLE_RETURN = (
    r"(?m)^" + WS + r"*return" + WS + r"*(?:(?:\w+|\d+|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|true|false|nullptr)" + WS + r"*)?;" + WS + r"*$"
)
C_CLASS = r"(?m)^" + WS + r"*class" + WS + r"+\w+" + WS + r"*(?::[^{]*)?\{"
C_LOGIC = (C_INCLUDE, C_SIMPLE_VAR, C_SIMPLE_RETURN, C_CLASS)
C_PREPROC_LINE = r"#[ \t]*(?:include|define|if|ifdef|ifndef|else|elif|endif|error|pragma|warning|undef|line)|struct|using"
C_VAR = (
    r"\b(?:\w+(?:" + WS + r"+\w+)?)" + WS + r"+(?:\**" + WS + r"*[\w\[\]]+" + WS + r"*(?:=" + WS + r"*[^;]*)?"
    r"(?:," + WS + r"*\**" + WS + r"*[\w\[\]]+" + WS + r"*(?:=" + WS + r"*[^;]*)?)*)" + WS + r"*;"
)
C_HEADER_EXTS = ("h", "hpp", "hxx", "hh", "h++")

CS_FUNC_LINE = (
    r"^[ \t]*(?:(?:public|protected|private|internal)[ \t]+)?(?:(?:static|virtual|override|abstract|async)[ \t]+)?"
    r"(?:<\w+>[ \t]*)?[\w<>\[\],.]+[ \t]+\w+[ \t]*\("
)
CS_USING_LINE = r"^[ \t]*using[ \t]+[\w.]+[ \t]*;"
CS_UNINIT_LINE = r"^[ \t]*(?:int|float|double|char|bool|string|long|decimal|byte|object)[ \t]+\w+[ \t]*;"
CS_RETURN_LINE = r"^[ \t]*return\b[^;\n]*;[ \t\r]*$"
CS_CLASS_LINE = r"^[ \t]*(?:(?:public|private|protected|internal|static|sealed|abstract|partial)[ \t]+)*class[ \t]+\w+"

GO_FUNC_LINE = r"^func[ \t]+(?:\([^)\n]*\)[ \t]*)?\w+[ \t]*\("
GO_IMPORT_LINE = r"^[ \t]*import[ \t]+(?:\"[^\"\n]*\"|\()[ \t\r]*$"
GO_VAR_LINE = r"^[ \t]*var[ \t]+\w+[ \t]+[\w.*\[\]]+[ \t\r]*$"
GO_RETURN_LINE = r"^[ \t]*return\b"
GO_TYPE_LINE = r"^type[ \t]+\w+[ \t]+(?:struct|interface)[ \t]*\{"

JAVA_VAR_LINE = (
    r"^[ \t]*(?:(?:public|protected|private|final|static)[ \t]+)*(?:int|float|boolean|char|double|String|[A-Z]\w*)"
    r"[ \t]+\w+[ \t]*(?:=[^;\n]*)?;"
)
JAVA_FUNC_LINE = r"^[ \t]*(?:(?:public|protected|private|static)[ \t]+)*[\w<>\[\],]+[ \t]+\w+[ \t]*\([^)\n]*\)"
JAVA_IMPORT_LINE = r"^[ \t]*import[ \t]+[\w.]+(?:\.\*)?[ \t]*;"
JAVA_FIELD_LINE = r"^[ \t]*(?:(?:public|protected|private|static|final)[ \t]+)*[\w<>\[\]]+[ \t]+\w+[ \t]*;"
JAVA_RETURN_LINE = r"^[ \t]*return(?:[ \t]+(?:\w+|\"[^\"\n]*\"))?[ \t]*;"
JAVA_CLASS_LINE = r"^[ \t]*(?:(?:public|protected|private)[ \t]+)?(?:(?:final|abstract)[ \t]+)?class[ \t]+\w+"

JS_FUNC_DECL = r"\bfunction[ \t]*\*?[ \t]+[A-Za-z_$][\w$]*[ \t]*\("
JS_FUNC_VAR = r"\b(?:var|let|const)[ \t]+[A-Za-z_$][\w$]*[ \t]*=[ \t]*(?:async[ \t]+)?function\b"
JS_FUNC_EXPORT = r"module\.exports\.\w+[ \t]*=[ \t]*(?:async[ \t]+)?(?:function\b|\([^)]*\)[ \t]*=>|\w+[ \t]*=>)"
JS_DECL = r"\b(?:var|let|const)[ \t]+[A-Za-z_$][\w$]*"
JS_IMPORT_LINE = r"^[ \t]*import\b"
JS_SIMPLE_DECL_LINE = (
    r"\b(?:var|let|const)[ \t]+[\w$]+[ \t]*(?:;|$|=[ \t]*(?:-?[\w$.]+|\"[^\"\n]*\"|'[^'\n]*')[ \t]*;?[ \t\r]*$)"
)
JS_RETURN_LINE = r"^[ \t]*return(?:[ \t]+(?:-?[\w$.]+|\"[^\"\n]*\"|'[^'\n]*'))?[ \t]*;?[ \t\r]*$"
JS_CLASS_LINE = r"^[ \t]*(?:export[ \t]+)?class[ \t]+\w+"
JS_STRINGS = r"`(?:[^`\\]|\\[\s\S])*`|" + DQ + "|" + SQ
JS_BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"))

HTML_DROP = r"(?i)<script\b[\s\S]*?</script>|<style\b[\s\S]*?</style>|<!--[\s\S]*?-->"
HTML_TAG = r"<[^>]*>"
HTML_ENTITY = r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"
# The released filter's HTML text is BeautifulSoup(text, "html.parser").get_text(), and bs4 turns a string
# between two tags that is only ASCII whitespace into one "\n" (if it holds one) or one " ", except inside
# <pre> and <textarea>. Here: every tag is wrapped as \x02<tag>\x03 (a dropped block becomes \x02\x03),
# so each text segment runs from a \x03 to the next \x02; the two patterns collapse the whitespace-only
# segments (the replacement keeps group 1, a pre/textarea block, whole; or one whitespace character).
HTML_SEGMENT_END, HTML_SEGMENT_START = "\x02", "\x03"
HTML_KEEP_WHITESPACE = r"(?i)(<(?:pre|textarea)\b[^>]*>\x03[\s\S]*?\x02</(?:pre|textarea)[^>]*>)"
HTML_BLANK_WITH_NEWLINE = HTML_KEEP_WHITESPACE + r"|(\x03)[ \t\n\r\x0c]*(\n)[ \t\n\r\x0c]*(\x02)"
HTML_BLANK = HTML_KEEP_WHITESPACE + r"|(\x03)[ \t\r\x0c]*([ \t\r\x0c])(\x02)"
HTML_WRAPPED_TAG = r"\x02<[^>]*>\x03|[\x02\x03]"

PY_RETURN_LINE = r"^[ \t]*return\b"
