"""Language table (rules/languages.yaml) and path -> language detection."""

from pathlib import Path

import pytest

from codelake.languages import Language, LanguageTable, LanguageTableError
from codelake.languages.table import DEFAULT_PATH


@pytest.fixture(scope="module")
def table() -> LanguageTable:
    return LanguageTable.load()


def name_of(table: LanguageTable, path: str) -> str | None:
    lang = table.detect(path)
    return lang.name if lang else None


def test_default_table_is_linguist_sized(table):
    assert len(table) >= 600
    assert len(table.names()) == len(table)
    for name in ["Python", "C", "C++", "Java", "JavaScript", "TypeScript", "Go", "Rust", "Shell", "HTML",
                 "Markdown", "Text", "reStructuredText", "AsciiDoc", "TeX", "CSS", "JSON", "YAML", "TOML",
                 "XML", "INI", "CSV", "Makefile", "Dockerfile", "CMake", "Meson", "Starlark"]:
        assert name in table.names(), name


def test_default_path_is_repo_rules_file():
    assert DEFAULT_PATH == Path(__file__).resolve().parents[2] / "rules" / "languages.yaml"
    assert DEFAULT_PATH.is_file()


@pytest.mark.parametrize(
    "path, expected",
    [
        ("setup.py", "Python"),
        ("pkg/stubs/mod.pyi", "Python"),
        ("src/main.c", "C"),
        ("include/util.h", "C"),  # ambiguous .h resolved to C, as RefineCode does
        ("src/a.cpp", "C++"),
        ("src/a.hpp", "C++"),
        ("src/x.H", "C++"),  # case-sensitive .H/.C are C++ (gcc's convention) ...
        ("src/x.C", "C++"),
        ("src/x.h", "C"),  # ... while lowercase stays C
        ("src/Main.java", "Java"),
        ("web/app.js", "JavaScript"),
        ("web/app.min.js", "JavaScript"),
        ("web/app.mjs", "JavaScript"),
        ("web/app.ts", "TypeScript"),
        ("web/types.d.ts", "TypeScript"),
        ("web/App.tsx", "TSX"),
        ("cmd/main.go", "Go"),
        ("src/lib.rs", "Rust"),
        ("scripts/build.sh", "Shell"),
        ("scripts/x.bash", "Shell"),
        ("scripts/x.zsh", "Shell"),
        ("home/.bashrc", "Shell"),
        (".profile", "Shell"),
        ("index.html", "HTML"),
        ("docs/README.md", "Markdown"),
        ("README.MD", "Markdown"),  # uppercase extension falls back to lowercase
        ("docs/index.rst", "reStructuredText"),
        ("notes.txt", "Text"),
        ("LICENSE", "Text"),
        ("Makefile", "Makefile"),
        ("sub/dir/makefile", "Makefile"),
        ("Dockerfile", "Dockerfile"),
        ("CMakeLists.txt", "CMake"),  # file name beats the .txt extension
        ("meson.build", "Meson"),
        ("BUILD", "Starlark"),
        ("BUILD.bazel", "Starlark"),
        ("requirements.txt", "Pip Requirements"),
        ("Cargo.lock", "TOML"),
        ("pyproject.toml", "TOML"),
        ("config.yml", "YAML"),
        (".github/workflows/ci.yaml", "YAML"),
        ("package.json", "JSON"),
        ("tsconfig.json", "JSON with Comments"),
        ("pom.xml", "Maven POM"),
        ("layout.xml", "XML"),
        ("setup.cfg", "INI"),
        ("data.csv", "CSV"),
        ("style.css", "CSS"),
        ("paper.tex", "TeX"),
        ("lib/Foo.pm", "Perl"),
        ("t/basic.t", "Perl"),
        ("Classes/View.m", "Objective-C"),
        ("rtl/top.v", "Verilog"),
        ("views/user.blade.php", "Blade"),  # longest multi-dot extension wins over .php
        ("index.php", "PHP"),
        ("build.gradle.kts", "Gradle Kotlin DSL"),
        ("Main.kts", "Kotlin"),
        ("app/views/a.html.erb", "HTML+ERB"),
        ("notebook.ipynb", "Jupyter Notebook"),
    ],
)
def test_detect(table, path, expected):
    assert name_of(table, path) == expected


@pytest.mark.parametrize(
    "path",
    ["foo.tar.gz", "a/b/photo.jpeg", "x.unknownext", "NOEXTENSION", "dir/", "", "foo.", ".hidden", "a/.py"],
)
def test_unknown_is_none(table, path):
    assert table.detect(path) is None


def test_detect_returns_typed_language(table):
    md = table.detect("README.md")
    assert md == Language("Markdown", "prose")
    assert table.detect("x.py").type == "programming"
    assert table.detect("x.json").type == "data"
    assert table.detect("x.html").type == "markup"
    assert all(table.get(n).type in {"programming", "data", "markup", "prose"} for n in table.names())


def test_fingerprint_is_sha256_of_file_bytes(tmp_path):
    import hashlib

    assert LanguageTable.load().fingerprint() == hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()
    p = tmp_path / "l.yaml"
    p.write_text("languages:\n  Foo:\n    type: programming\n    extensions: [.foo]\n")
    a = LanguageTable.load(p).fingerprint()
    p.write_text("languages:\n  Foo:\n    type: programming\n    extensions: [.foo, .fo]\n")
    assert LanguageTable.load(str(p)).fingerprint() != a


def test_small_table_rules(tmp_path):
    p = tmp_path / "l.yaml"
    p.write_text(
        "languages:\n"
        "  Lo:\n    type: programming\n    extensions: [.c, .tar.x]\n"
        "  Up:\n    type: programming\n    extensions: [.C]\n"
        "  Named:\n    type: data\n    filenames: [Thing.c]\n"
    )
    t = LanguageTable.load(p)
    assert len(t) == 3 and t.names() == ["Lo", "Up", "Named"]
    assert name_of(t, "a.c") == "Lo"
    assert name_of(t, "a.C") == "Up"
    assert name_of(t, "A.TAR.X") == "Lo"
    assert name_of(t, "dir/Thing.c") == "Named"  # exact file name beats the extension
    assert name_of(t, "thing.c") == "Lo"  # file names are case-sensitive


def _write(tmp_path, body: str) -> Path:
    p = tmp_path / "bad_languages.yaml"
    p.write_text(body)
    return p


@pytest.mark.parametrize(
    "body, words",
    [
        ("languages:\n  A:\n    type: programming\n    extensions: [.x]\n"
         "  B:\n    type: data\n    extensions: [.y, .x]\n", ["'.x'", "'A'", "'B'"]),
        ("languages:\n  A:\n    type: programming\n    extensions: [.x, .x]\n", ["'.x'", "twice"]),
        ("languages:\n  A:\n    type: data\n    filenames: [Makefile]\n"
         "  B:\n    type: programming\n    filenames: [Makefile]\n", ["'Makefile'", "'A'", "'B'"]),
        ("languages:\n  A:\n    type: code\n    extensions: [.x]\n", ["'A'", "'code'", "type"]),
        ("languages:\n  A:\n    extensions: [.x]\n", ["'A'", "type"]),
        ("languages:\n  A:\n    type: programming\n    extensions: [x]\n", ["'A'", "'x'", "'.'"]),
        ("languages:\n  A:\n    type: programming\n    extensions: .x\n", ["'A'", "extensions"]),
        ("languages:\n  A:\n    type: programming\n    extension: [.x]\n", ["'A'", "extension"]),
        ("languages:\n  A:\n    type: programming\n    filenames: [sub/Makefile]\n", ["'A'", "sub/Makefile"]),
        ("langs:\n  A:\n    type: programming\n", ["languages"]),
        ("- just\n- a list\n", ["languages"]),
        ("languages: [unclosed\n", ["YAML"]),
    ],
)
def test_validation_errors_name_file_and_problem(tmp_path, body, words):
    p = _write(tmp_path, body)
    with pytest.raises(LanguageTableError) as err:
        LanguageTable.load(p)
    msg = str(err.value)
    assert str(p) in msg
    for w in words:
        assert w in msg, (w, msg)
    assert isinstance(err.value, ValueError)


def test_missing_file_is_a_table_error(tmp_path):
    with pytest.raises(LanguageTableError, match="missing.yaml"):
        LanguageTable.load(tmp_path / "missing.yaml")
