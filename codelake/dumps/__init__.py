"""Crawl dumps: a directory or archive of repositories, each with a manifest. Read safely, never extracted."""

from codelake.dumps.errors import DumpError
from codelake.dumps.manifest import ManifestError, RepoManifest, parse_manifest
from codelake.dumps.sources import DumpMember, DumpSource, dump_name_of, open_dump

__all__ = [
    "DumpError",
    "DumpMember",
    "DumpSource",
    "ManifestError",
    "RepoManifest",
    "dump_name_of",
    "open_dump",
    "parse_manifest",
]
