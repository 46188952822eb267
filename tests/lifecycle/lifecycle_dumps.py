"""Two small dumps where the better copies (more stars) of shared files live in the second one."""

from __future__ import annotations

from pathlib import Path

from dumpfactory import MANIFEST, manifest, write_dir_dump

SHARED = b"def shared():\n    return 42\n"
# A near duplicate of a file of the other dump (one line differs out of many): fuzzy_dedup clusters them.
NEAR = "".join(f"def function_{i}(value):\n    return value * {i} + {i % 7}\n\n" for i in range(60))


def dump_a_repos() -> dict:
    return {
        "carol__app": {
            MANIFEST: manifest("carol/app", stars=5, last_commit="2024-01-01T00:00:00Z"),
            "app/util.py": SHARED,
            "app/near.py": NEAR.encode(),
            "app/own.py": b"print('only in dump a')\n",
            "secrets/keys.py": b"KEYS = ['not really']\n",
        },
    }


def dump_b_repos() -> dict:
    return {
        "dave__lib": {
            MANIFEST: manifest("dave/lib", stars=500, last_commit="2024-02-01T00:00:00Z"),
            "lib/util.py": SHARED,
            "lib/near.py": NEAR.replace("return value * 3 + 3", "return value * 3 + 4").encode(),
            "lib/own.py": b"print('only in dump b')\n",
        },
    }


def write_two_dumps(landing: Path) -> tuple[Path, Path]:
    return write_dir_dump(landing / "dump-a", dump_a_repos()), write_dir_dump(landing / "dump-b", dump_b_repos())
