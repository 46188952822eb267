"""Copyright / license header removal: per language, byte-identical code after the header."""

from __future__ import annotations

import pytest

from codelake.transformed import TransformRules, transform_text

MIT = "Copyright (c) 2019 Acme Corp.\nLicensed under the MIT License. See LICENSE in the project root.\n"
APACHE = (
    "Copyright 2021 The Foo Authors\n\nLicensed under the Apache License, Version 2.0 (the \"License\");\n"
    "you may not use this file except in compliance with the License.\n"
)


def lines(prefix: str, text: str) -> str:
    return "".join(f"{prefix} {ln}".rstrip() + "\n" if ln else prefix + "\n" for ln in text.splitlines())


# (language, header, code after it): the result must be exactly `code`
CASES = [
    ("Python", lines("#", MIT) + "\n", '"""Frobnicate widgets."""\nimport os\n'),
    ("C", "/*\n" + lines(" *", APACHE) + " */\n\n", "#include <stdio.h>\nint main(void) { return 0; }\n"),
    ("C++", "// SPDX-License-Identifier: GPL-2.0-or-later\n// Copyright (C) 2015 Jane Roe\n\n", "#pragma once\nclass A {};\n"),
    ("Java", "/*\n * Copyright 2002-2020 the original author or authors.\n *\n * Licensed under the Apache License, Version 2.0\n */\n", "package org.acme;\n\npublic class A {}\n"),
    ("JavaScript", "/*! jQuery v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */\n", "!function(e,t){\"use strict\"}(this);\n"),
    ("Go", "// Copyright 2009 The Go Authors. All rights reserved.\n// Use of this source code is governed by a BSD-style\n// license that can be found in the LICENSE file.\n\n", "// Package fmt implements formatted I/O.\npackage fmt\n"),
    ("Rust", "// Copyright 2018 Developers of the Rand project.\n//\n// Licensed under the Apache License, Version 2.0 <LICENSE-APACHE>\n\n", "//! Random number generation.\nuse core::fmt;\n"),
    ("Shell", lines("#", APACHE) + "\n", "set -euo pipefail\necho hi\n"),
    ("SQL", "-- Copyright (c) 2020 Acme. All rights reserved.\n", "SELECT 1;\n"),
    ("Haskell", "{-\n  Copyright   : (c) 2011 Acme\n  License     : BSD3\n-}\n\n", "module Main where\nmain = pure ()\n"),
    ("Lua", "--[[\n  Copyright (c) 2016 Acme\n  Permission is hereby granted, free of charge, to any person\n]]\n", "local M = {}\nreturn M\n"),
    ("Ruby", lines("#", MIT) + "\n", "# Widgets for Rails.\nmodule Foo; end\n"),
    ("PHP", "/**\n * @copyright 2014 Acme\n * @license MIT\n */\n\n", "namespace Acme;\n"),
    ("HTML", "<!--\n  Copyright 2020 Acme. All rights reserved.\n-->\n", "<html><body></body></html>\n"),
    ("Common Lisp", lines(";;;", MIT), "(defun foo () 1)\n"),
    ("OCaml", "(* Copyright (c) 2012 Acme. Distributed under the ISC license. *)\n\n", "let x = 1\n"),
    ("MATLAB", lines("%", MIT), "function y = f(x)\n  y = x;\nend\n"),
    ("Batchfile", "REM Copyright (c) 2018 Acme. All rights reserved.\n", "@echo off\necho hi\n"),
    ("CSS", "/*! normalize.css v8.0.1 | MIT License | github.com/necolas/normalize.css */\n", "html { line-height: 1.15; }\n"),
    ("TypeScript", "/**\n * @license\n * Copyright Google LLC All Rights Reserved.\n */\n", "export const x = 1;\n"),
]


@pytest.fixture(scope="module")
def rules() -> TransformRules:
    return TransformRules.load()


@pytest.mark.parametrize("language,header,code", CASES, ids=[c[0] for c in CASES])
def test_header_removed_code_byte_identical(rules, language, header, code):
    result = transform_text(header + code, language, rules)
    assert result.text == code
    assert result.changes == {"copyright_header": 1}


def test_at_least_eight_languages():
    assert len({c[0] for c in CASES}) >= 8


def test_shebang_and_encoding_kept(rules):
    text = "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n" + lines("#", MIT) + "\nimport sys\n"
    result = transform_text(text, "Python", rules)
    assert result.text == "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nimport sys\n"
    ruby = "# frozen_string_literal: true\n" + lines("#", MIT) + "\nmodule Foo; end\n"
    assert transform_text(ruby, "Ruby", rules).text == "# frozen_string_literal: true\nmodule Foo; end\n"
    shell = "#!/bin/bash\n\n" + lines("#", APACHE) + "\necho hi\n"
    assert transform_text(shell, "Shell", rules).text == "#!/bin/bash\n\necho hi\n"


def test_no_header_unchanged(rules):
    for language, text in [
        ("Python", '#!/usr/bin/env python\n"""Parse license files and report their SPDX ids."""\nimport os\n'),
        ("Python", "# Utilities for the CLI.\n\nimport os\n"),
        ("C", "/* A small ring buffer. */\n#include <stddef.h>\n"),
        ("Go", "package main\n\n// Copyright notices further down are not headers.\n"),
        ("Text", "Copyright 2020 Acme\n"),  # no comment syntax: untouched
        ("Unknown Language", "# Copyright 2020 Acme\n"),
    ]:
        result = transform_text(text, language, rules)
        assert result.text == text and result.changes == {}, (language, text)


def test_description_kept_license_removed(rules):
    text = "/* Frobnicator: turns widgets into gadgets. */\n\n/*\n * Copyright 2020 Acme\n * All rights reserved.\n */\n\nint x;\n"
    result = transform_text(text, "C", rules)
    assert result.text == "/* Frobnicator: turns widgets into gadgets. */\n\nint x;\n"


def test_python_docstrings(rules):
    license_doc = '"""\nCopyright (c) 2010 Acme\nLicensed under the BSD license.\n"""\n\nimport os\n'
    assert transform_text(license_doc, "Python", rules).text == "import os\n"
    # a module description that mentions the copyright further down is the module's __doc__: kept
    description = '"""Frobnicate widgets.\n\nCopyright (c) 2010 Acme\n"""\nimport os\n'
    assert transform_text(description, "Python", rules).text == description
    # comments above a docstring go, the docstring stays
    both = lines("#", MIT) + '"""Widgets."""\nimport os\n'
    assert transform_text(both, "Python", rules).text == '"""Widgets."""\nimport os\n'


def test_block_comment_with_code_on_the_closing_line(rules):
    text = "/* Copyright 2020 Acme */ int x = 1;\nint y;\n"
    assert transform_text(text, "C", rules).text == "int x = 1;\nint y;\n"


def test_only_the_top_of_the_file(rules):
    text = "import os\n# Copyright 2020 Acme\n"
    assert transform_text(text, "Python", rules).text == text


def test_header_and_pii_counted_together(rules):
    text = "# Copyright 2020 Jane Roe <jane.roe@acme-corp.io>\n\nADMIN = 'ops@acme-corp.io'\n"
    result = transform_text(text, "Python", rules)
    assert result.text == "ADMIN = '<EMAIL>'\n"
    assert result.changes == {"copyright_header": 1, "email": 1}


def test_crlf_and_whole_file_header(rules):
    text = "// Copyright 2020 Acme\r\n// Licensed MIT\r\n\r\nint x;\r\n"
    assert transform_text(text, "C", rules).text == "int x;\r\n"
    assert transform_text("# Copyright 2020 Acme\n", "Python", rules).text == ""
