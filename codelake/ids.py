"""Stable document ids: the same file of the same dump always gets the same id."""

import hashlib


def doc_id(dump: str, repo_dir: str, path: str) -> str:
    """128 bits of SHA-256 over dump, repository folder and path (folders are unique within a dump)."""
    return hashlib.sha256(f"{dump}\0{repo_dir}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
