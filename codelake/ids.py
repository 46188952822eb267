"""Stable document ids: the same file of the same dump always gets the same id.

A dump may hold one path more than once (a tar or zip can repeat a member name). The copy that stands for
the path (the last one, as extraction would leave it) gets the plain id; each earlier copy gets an id of
its own that also hashes its copy number, so no two members of a dump ever share an id.
"""

import hashlib


def doc_id(dump: str, repo_dir: str, path: str, copy: int = 0) -> str:
    """128 bits of SHA-256 over dump, repository folder and path, and `copy` when it is not 0.

    Names are hashed as their original bytes (a byte that is not UTF-8 arrives as a surrogate), so
    members whose names differ only in undecodable bytes keep different ids."""
    key = f"{dump}\0{repo_dir}\0{path}" if copy == 0 else f"{dump}\0{repo_dir}\0{path}\0copy {copy}"
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
