"""The transformed stage over a lake: text cleaned, every file kept, changes in the lineage without values."""

from __future__ import annotations

import json

from codelake.checks import conservation, duplicate_doc_ids
from codelake.exact_dedup import run_exact_dedup
from codelake.fuzzy_dedup import run_fuzzy_dedup
from codelake.lake import Lake
from codelake.lake.sql import connect
from codelake.raw_files import run_raw_files
from codelake.transformed import run_transformed
from dumpfactory import MANIFEST, manifest, write_dir_dump

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
HEADER = "# Copyright (c) 2021 Jane Roe. All rights reserved.\n# Licensed under the MIT License.\n\n"
BODY = "import os\n\nTOKEN = os.environ.get('TOKEN', '%s')\nAUTHOR = 'jane.roe@corp-mail.net'\n\n\ndef main():\n    return TOKEN\n" % SECRET


def test_text_cleaned_files_kept_and_lineage_names_kinds_not_values(tmp_path):
    files = {MANIFEST: manifest("o/app"), "app.py": (HEADER + BODY).encode(), "plain.py": b"def f(x):\n    return x + 1\n"}
    lake = Lake(tmp_path / "lake")
    run_raw_files(lake, write_dir_dump(tmp_path / "dump-1", {"app": files}))
    run_exact_dedup(lake)
    run_fuzzy_dedup(lake, workers=1)
    report = run_transformed(lake, workers=2)
    rows = {r["path"]: r for r in lake.dataset("transformed").to_table().to_pylist()}
    text = rows["app.py"]["text"]
    assert "Copyright" not in text and text.startswith("import os")
    assert SECRET not in text and "<KEY>" in text and "<EMAIL>" in text
    assert rows["app.py"]["size"] == len(text.encode())
    assert rows["plain.py"]["text"] == "def f(x):\n    return x + 1\n"
    changes = connect(lake).execute("SELECT path, action, reason, detail FROM lineage WHERE stage = 'transformed'").fetchall()
    assert [(p, a, r) for p, a, r, _ in changes] == [("app.py", "change", "transformed")]
    detail = json.loads(changes[0][3])
    assert detail["copyright_header"] == 1 and detail["key"] == 1 and detail["email"] == 1
    assert SECRET not in changes[0][3] and "jane.roe" not in changes[0][3]
    assert conservation(lake, "transformed", report.version, lake.count("fuzzy_dedup")).holds
    assert duplicate_doc_ids(lake, "transformed", report.version) == 0
