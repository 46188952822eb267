"""Stream a dump into Arrow batches of kept files; every other member becomes a lineage drop."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pyarrow as pa

from codelake.dumps import DumpError, DumpMember, DumpSource, ManifestError, RepoManifest, parse_manifest
from codelake.dumps.names import name_problem, printable_name
from codelake.ids import doc_id
from codelake.lake.lineage import LineageSpool
from codelake.languages import LanguageTable
from codelake.lifecycle.optout import OPTOUT_REASON, OptOutList
from codelake.raw_files.rules import IngestRules
from codelake.raw_files.schema import RAW_FILES_SCHEMA
from codelake.report import StageReport

# Members the dump reader refuses to open map straight to a drop reason.
_UNREAD_KINDS = {"symlink", "special_file", "unsafe_path", "compression_bomb", "unreadable"}


def resolve_repositories(source: DumpSource, manifest_file: str) -> dict[str, RepoManifest | tuple[str, str]]:
    """repo folder -> its manifest, or (drop reason, detail) when the repository cannot be ingested.

    Two folders naming the same repository: the first folder in sorted order is ingested, the other's
    files are dropped as `duplicate_repo`, naming the folder that won.
    """
    raw = source.manifests()
    resolved: dict[str, RepoManifest | tuple[str, str]] = {}
    owner_of: dict[str, str] = {}
    for repo_dir in sorted(set(source.repo_dirs()) | set(raw)):
        where = f"{source.where}:{printable_name(repo_dir)}/{manifest_file}"
        if repo_dir not in raw:
            resolved[repo_dir] = ("manifest_missing", f"{where} does not exist")
            continue
        content = raw[repo_dir]
        if isinstance(content, str):
            resolved[repo_dir] = ("manifest_invalid", f"{where}: {content}")
            continue
        try:
            manifest = parse_manifest(content, where)
        except ManifestError as err:
            resolved[repo_dir] = ("manifest_invalid", str(err))
            continue
        if manifest.name in owner_of:
            winner = printable_name(owner_of[manifest.name])
            resolved[repo_dir] = ("duplicate_repo", f"repository {manifest.name!r} is already ingested from folder {winner!r}")
            continue
        owner_of[manifest.name] = repo_dir
        resolved[repo_dir] = manifest
    return resolved


class _BatchBuilder:
    def __init__(self, rules: IngestRules):
        self.rules = rules
        self.columns: dict[str, list] = {name: [] for name in RAW_FILES_SCHEMA.names}
        self.bytes = 0

    def add(self, row: dict) -> None:
        for name, column in self.columns.items():
            column.append(row[name])
        self.bytes += row["size"]

    def full(self) -> bool:
        return len(self.columns["doc_id"]) >= self.rules.batch_rows or self.bytes >= self.rules.batch_bytes

    def take(self) -> pa.RecordBatch | None:
        if not self.columns["doc_id"]:
            return None
        batch = pa.RecordBatch.from_pydict(self.columns, schema=RAW_FILES_SCHEMA)
        self.columns = {name: [] for name in RAW_FILES_SCHEMA.names}
        self.bytes = 0
        return batch


def _classify(member: DumpMember, rules: IngestRules, languages: LanguageTable) -> tuple[str | None, str, str | None, bytes]:
    """(drop reason or None, detail, language, bytes) for one member, reading it only when needed."""
    if member.kind in _UNREAD_KINDS:
        return member.kind, member.detail, None, b""
    if member.size > rules.max_file_bytes:
        return "too_large", f"{member.size} bytes > {rules.max_file_bytes}", None, b""
    language = languages.detect(member.path)
    if language is None:
        return "unsupported_language", f"no language for {member.path.rsplit('/', 1)[-1]!r}", None, b""
    try:
        data = member.read(rules.max_file_bytes + 1)
    except OSError as err:
        return "unreadable", str(err), language.name, b""
    if len(data) > rules.max_file_bytes:  # grew since it was listed
        return "too_large", f"more than {rules.max_file_bytes} bytes", language.name, b""
    if not data and rules.drop_empty_files:
        return "empty", "0 bytes", language.name, data
    nul = data.find(b"\0")
    if nul >= 0:
        return "binary", f"NUL byte at offset {nul}", language.name, data
    return None, "", language.name, data


def _decide(
    member: DumpMember,
    dump: str,
    repos: dict[str, RepoManifest | tuple[str, str]],
    rules: IngestRules,
    languages: LanguageTable,
) -> tuple[str | None, str, RepoManifest | None, str | None, bytes]:
    """(drop reason or None, detail, manifest, language, bytes) for one member. The member's name is
    judged first: an unusable name says nothing trustworthy about its repository or content."""
    if member.kind == "unsafe_path":
        return member.kind, member.detail, None, None, b""
    problem = name_problem(member.repo_dir, member.path, rules.names)
    if problem is not None:
        return problem[0], problem[1], None, None, b""
    repo_state = None
    if member.repo_dir is not None:
        repo_state = repos.get(member.repo_dir, ("manifest_missing", f"no {rules.manifest_file} for folder {member.repo_dir!r}"))
    manifest = repo_state if isinstance(repo_state, RepoManifest) else None
    if member.copy:  # named after its repository when it has one, so `codelake why owner/repo/path` finds it
        kept = doc_id(dump, member.repo_dir or "", member.path)
        detail = (
            f"the dump holds this path {member.copies} times; this is copy {member.copy} in archive order, "
            f"superseded by the last copy, doc_id {kept}, as extraction would leave it"
        )
        return "duplicate_path", detail, manifest, None, b""
    if repo_state is None:
        return "outside_repository", "file at the dump's root, not in a repository folder", None, None, b""
    if manifest is None:
        return repo_state[0], repo_state[1], None, None, b""
    reason, detail, language, data = _classify(member, rules, languages)
    return reason, detail, manifest, language, data


def ingest_dump(
    source: DumpSource,
    rules: IngestRules,
    languages: LanguageTable,
    lineage: LineageSpool,
    report: StageReport,
    progress: Callable[[int, int], None] | None = None,
    optout: OptOutList | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield batches of RAW_FILES_SCHEMA rows; record a lineage drop for every member not kept. A file
    an opt-out request covers is dropped as `opted_out`, the detail naming the request.

    A member that breaks the run (anything but a drop) raises DumpError naming the dump and the member."""
    dump = source.name
    repos = resolve_repositories(source, rules.manifest_file)
    builder = _BatchBuilder(rules)
    for member in source.members():
        repo_dir = member.repo_dir or ""
        try:
            doc = doc_id(dump, repo_dir, member.path, member.copy)
            reason, detail, manifest, language, data = _decide(member, dump, repos, rules, languages)
            text = ""
            if reason is None:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as err:
                    reason, detail = "invalid_utf8", f"invalid UTF-8 at byte {err.start}: {err.reason}"
            if reason is None and optout:
                request = optout.first_match(manifest.name, member.path, text if optout.needs_text else None)
                if request is not None:
                    reason, detail = OPTOUT_REASON, request.detail
            size = max(member.size, len(data))
            if reason is not None:
                # Names and details can carry undecodable bytes or newlines: shown escaped, never raw.
                repo_name = printable_name(manifest.name if manifest else repo_dir)
                lineage.record(doc, "drop", reason, printable_name(detail), dump, repo_name, printable_name(member.path))
                report.dropped(reason, size)
            else:
                builder.add(
                    {
                        "doc_id": doc,
                        "dump": dump,
                        "repo": manifest.name,
                        "repo_dir": repo_dir,
                        "path": member.path,
                        "language": language,
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "stars": manifest.stars,
                        "commit_time": manifest.last_commit,
                        "license": manifest.license,
                        "source": manifest.source,
                        "text": text,
                    }
                )
                report.kept(language, len(data))
        except DumpError:
            raise
        except Exception as err:  # noqa: BLE001 - re-raised with the dump and member named
            name = printable_name(member.path if member.repo_dir is None else f"{member.repo_dir}/{member.path}")
            raise DumpError(f"{source.where}: member {name!r}: {type(err).__name__}: {err}") from err
        if builder.full():
            yield builder.take()
        if progress is not None:
            progress(report.rows_in, report.bytes_in)
    last = builder.take()
    if last is not None:
        yield last
