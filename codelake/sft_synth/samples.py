"""A synthesized sample as a row of the verified chat schema (its code parsed when it was made)."""

from __future__ import annotations

import hashlib

from codelake.ids import doc_id

SYNTH_DUMP = "synth"


def seeded_rank(seed: int, *parts: object) -> int:
    """A deterministic pseudo-random rank: which blocks or functions of a file are taken."""
    key = "\0".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def synth_row(kind: str, file: dict, anchor: str, stage: str, language: str, user: str, answer: str,
              tests: list[str] | None = None, execution: str = "no_tests", execution_detail: str | None = None) -> dict:
    """`file`: the code_corpus row it came from (doc_id, repo, path, license); `anchor`: where in it."""
    turns = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {
        "doc_id": doc_id(SYNTH_DUMP, f"{kind}:{file['doc_id']}", anchor), "dump": SYNTH_DUMP, "repo": file["repo"],
        "path": f"{file['path']}#{anchor}", "stage": stage, "source": f"synth:{kind}", "license": file.get("license"),
        "format": kind, "record_id": file["doc_id"], "language": language, "messages": turns, "tests": tests or [],
        "size": len(user.encode("utf-8")) + len(answer.encode("utf-8")),
        "code_blocks": 1, "parsed_blocks": 1, "unchecked_blocks": 0, "execution": execution, "execution_detail": execution_detail,
    }
