"""The instructions landing zone: which instruction sets are completely copied, and their manifests.

    $CODELAKE_HOME/landing/instructions/
      stage1/<name>/            one instruction set: its partition key is `stage1.<name>`
        manifest.json           {"source": ..., "license": ..., "stage": "stage1", "language": optional}
        *.jsonl, *.jsonl.gz, *.json (one array), *.parquet   the records, any depth
        _SUCCESS                written LAST: the copy is complete
      stage2/<name>/ ...

A set is ready once `_SUCCESS` exists; its manifest must name its source and licence, and the stage it
declares must be the folder it sits in. Names follow the code landing zone's rule (they become keys).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from codelake.settings import codelake_home

STAGES = ("stage1", "stage2")
MANIFEST = "manifest.json"
COMPLETE_MARKER = "_SUCCESS"
DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".parquet")
_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")


class InstructionSetError(ValueError):
    """An instruction set cannot be read as a whole (bad manifest, unreadable file); the message names the file."""


def default_instructions_landing() -> Path:
    return codelake_home() / "landing" / "instructions"


@dataclass(frozen=True)
class InstructionManifest:
    source: str
    license: str | None
    stage: str
    language: str | None  # the code language of records whose answers carry no tagged code block

    @classmethod
    def read(cls, path: Path, folder_stage: str) -> InstructionManifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InstructionSetError(f"{path}: unreadable manifest: {err}") from err
        if not isinstance(data, dict):
            raise InstructionSetError(f"{path}: the manifest must be a JSON object")
        source, stage = data.get("source"), data.get("stage", folder_stage)
        if not isinstance(source, str) or not source.strip():
            raise InstructionSetError(f"{path}: 'source' must name where the records come from")
        if "license" not in data or not (data["license"] is None or isinstance(data["license"], str)):
            raise InstructionSetError(f"{path}: 'license' must be given (a string, or null when unknown)")
        if stage != folder_stage:
            raise InstructionSetError(f"{path}: 'stage' is {stage!r} but the set sits in {folder_stage}/")
        language = data.get("language")
        if language is not None and not isinstance(language, str):
            raise InstructionSetError(f"{path}: 'language' must be a string")
        return cls(source.strip(), data["license"], stage, language)


@dataclass(frozen=True)
class InstructionSet:
    key: str  # "<stage>.<name>": the partition key
    stage: str
    name: str
    path: Path

    def manifest(self) -> InstructionManifest:
        return InstructionManifest.read(self.path / MANIFEST, self.stage)

    def data_files(self) -> list[Path]:
        """Every record file of the set, sorted (other files are listed by `other_files`)."""
        return sorted(
            p for p in self.path.rglob("*")
            if p.is_file() and p.name.endswith(DATA_SUFFIXES) and p != self.path / MANIFEST and not _hidden(p, self.path)
        )

    def other_files(self) -> list[Path]:
        skip = {MANIFEST, COMPLETE_MARKER}
        return sorted(
            p for p in self.path.rglob("*")
            if p.is_file() and not p.name.endswith(DATA_SUFFIXES) and p.name not in skip and not _hidden(p, self.path)
        )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


@dataclass(frozen=True)
class NotReady:
    path: Path
    why: str


def scan_instructions(landing: Path) -> tuple[list[InstructionSet], list[NotReady]]:
    """(complete instruction sets sorted by key, entries not (yet) usable with the reason)."""
    ready: list[InstructionSet] = []
    waiting: list[NotReady] = []
    if not landing.is_dir():
        return ready, waiting
    for entry in sorted(landing.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.name not in STAGES or not entry.is_dir():
            waiting.append(NotReady(entry, f"not a stage folder: instruction sets go under {' or '.join(f'{s}/' for s in STAGES)}"))
    for stage in STAGES:
        folder = landing / stage
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() or not entry.is_dir():
                waiting.append(NotReady(entry, "an instruction set is a folder with manifest.json, record files and _SUCCESS"))
            elif not _VALID_NAME.match(entry.name):
                waiting.append(NotReady(entry, f"name must match {_VALID_NAME.pattern}"))
            elif not (entry / COMPLETE_MARKER).is_file():
                waiting.append(NotReady(entry, f"no {COMPLETE_MARKER} marker yet (still being copied?)"))
            elif not (entry / MANIFEST).is_file():
                waiting.append(NotReady(entry, f"no {MANIFEST} (source, license, stage)"))
            else:
                ready.append(InstructionSet(f"{stage}.{entry.name}", stage, entry.name, entry))
    return ready, waiting


def find_instruction_set(landing: Path, key: str) -> InstructionSet:
    stage, _, name = key.partition(".")
    path = landing / stage / name
    if stage not in STAGES or not name or not path.is_dir():
        raise FileNotFoundError(f"{landing}: no instruction set {key!r} (expected a folder {stage or '<stage>'}/{name or '<name>'})")
    return InstructionSet(key, stage, name, path)
