"""Which RefineCode filter profile a file gets, and how its comments look (REFINECODE.md §2.1, §2.3).

The reference routes by its own extension table (program_lang) and doc_type; codelake has already
labelled every file with a language from rules/languages.yaml (linguist names), so routing here is
by that name:

* one of the reference's 40 excluded languages           -> ``excluded`` (dropped, §2.3 step 1)
* one of the 22 text languages, or linguist type ``prose`` -> ``en`` (``zh`` when a ``lang`` column says zh)
* C, C++, C#, Go, HTML, Java, JavaScript, Python, Shell, SQL -> that language's profile
* linguist type ``data`` (and CSS/SCSS/Less/XML/SVG-like markup the reference types as data) -> ``data``
* anything else                                          -> ``others``
"""

from __future__ import annotations

from functools import lru_cache

TEXT_PROFILES = ("en", "zh")
CODE_PROFILES = ("others", "data", "shell", "sql", "python", "c", "cpp", "csharp", "go", "html", "java", "javascript")
PROFILES = TEXT_PROFILES + CODE_PROFILES + ("excluded",)

# §2.1: the 40 effective excluded names (lowercase, compared with the linguist name lowercased).
EXCLUDED = frozenset(
    "adblock filter list, pic, postscript, purebasic, roff manpage, unity3d asset, wavefront object, pickle, stl, "
    "raw token data, x pixmap, 2-dimensional array, ags script, bicep, checksums, collada, csv, directx 3d file, e-mail, "
    "g-code, git revision list, gnuplot, irc log, jupyter notebook, kicad layout, kicad legacy layout, kicad schematic, "
    "lasso, linux kernel module, max, microsoft developer studio project, microsoft visual studio solution, pov-ray sdl, "
    "public key, pure data, robots.txt, subrip text, svg, tsv, webvtt".split(", ")
)
# §2.1: the 22 reachable text languages.
TEXT = frozenset(
    "asciidoc, creole, gemini, gettext catalog, markdown, mdx, muse, org, pod, pod 6, rdoc, restructuredtext, "
    "rich text format, rmarkdown, roff, srecode template, sweave, tex, texinfo, text, textile, wikitext".split(", ")
)
LANGUAGE_PROFILE = {
    "c": "c", "c++": "cpp", "c#": "csharp", "go": "go", "html": "html", "java": "java",
    "javascript": "javascript", "python": "python", "shell": "shell", "sql": "sql",
}
# The reference types these as data although linguist calls them markup.
DATA_MARKUP = frozenset({"css", "scss", "less", "sass", "xml", "xslt", "json", "yaml", "toml"})

# Comment syntax families, by lowercase language name; the default is "none" (no comment part).
C_LIKE = frozenset(
    "c, c++, c#, java, javascript, typescript, tsx, go, rust, kotlin, swift, scala, php, objective-c, objective-c++, "
    "dart, groovy, css, scss, less, json with comments, protocol buffer, solidity, zig, cuda, glsl, opencl, d, haxe, "
    "vala, apex, hlsl, metal, verilog, systemverilog, actionscript, jsonnet, cue, typst".split(", ")
)
HASH = frozenset(
    "python, shell, ruby, perl, r, yaml, toml, makefile, cmake, dockerfile, powershell, nim, julia, elixir, crystal, "
    "tcl, coffeescript, gdscript, starlark, nix, awk, fish, raku, hcl, terraform, gitignore, ignore list, "
    "editorconfig, ini".split(", ")
)
DASH = frozenset("sql, plsql, tsql, plpgsql, lua, haskell, ada, vhdl, elm, purescript, agda, idris".split(", "))
MARKUP = frozenset({"html", "xml", "vue", "svelte", "xslt", "html+erb", "html+php"})
# Languages whose line comment, as the released filter splits it (Pygments 2.x lexer by program_lang, or its
# line-by-hand split where Pygments has no lexer), ends with its newline: "// a\n// b\n" -> "// a\n// b\n"
# where JavaScript's lexer gives "// a// b". Measured on every language of the three families above.
LINE_COMMENT_NEWLINE = frozenset(
    "actionscript, c, c#, c++, cuda, jsonnet, less, objective-c++, rust, scala, systemverilog, vala, verilog, zig, "
    "apex, cue, json with comments, metal, opencl, protocol buffer, hcl, shell, editorconfig, ignore list, ada, "
    "plpgsql, sql, plsql".split(", ")
)


@lru_cache(maxsize=4096)
def _table():
    from codelake.languages.table import LanguageTable

    return LanguageTable.load()


@lru_cache(maxsize=4096)
def profile_for(language: str | None, lang: str | None = None) -> str:
    """The RefineCode profile of a file labelled `language` (a name from rules/languages.yaml)."""
    if not language:
        return "excluded"  # §2.3 step 1: unknown doc type -> drop
    low = language.lower()
    if low in EXCLUDED:
        return "excluded"
    entry = _table().get(language)
    kind = entry.type if entry is not None else None
    if low in TEXT or kind == "prose":
        return "zh" if lang == "zh" else "en"
    if low in LANGUAGE_PROFILE:
        return LANGUAGE_PROFILE[low]
    if kind == "data" or low in DATA_MARKUP:
        return "data"
    return "others"


@lru_cache(maxsize=4096)
def comment_style(language: str | None) -> str:
    low = (language or "").lower()
    if low == "python":
        return "python"
    if low in MARKUP:
        return "markup"
    suffix = "_nl" if low in LINE_COMMENT_NEWLINE else ""
    if low in C_LIKE:
        return "c" + suffix
    if low in HASH:
        return "hash" + suffix
    if low in DASH:
        return "dash" + suffix
    return "none"
