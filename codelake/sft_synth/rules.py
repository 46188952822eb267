"""rules/sft/synth.yaml, validated with errors naming the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

SYNTH_RULES = RULES_DIR / "sft" / "synth.yaml"


@dataclass(frozen=True)
class FimLanguage:
    grammar: str
    tag: str
    bodies: frozenset[str]
    statements: frozenset[str]


@dataclass(frozen=True)
class SynthRules:
    seed: int
    fim: dict
    fim_languages: dict[str, FimLanguage]
    docstring: dict
    llm: dict

    @classmethod
    def load(cls, path: str | Path = SYNTH_RULES) -> SynthRules:
        data = load_rule_file(path)
        sections = {name: require(data, name, dict, path) for name in ("fim", "docstring", "llm")}
        for name, section in sections.items():
            if section.get("stage") not in ("stage1", "stage2"):
                raise RuleFileError(f"{path}: {name}.stage must be stage1 or stage2, got {section.get('stage')!r}")
        for key in ("per_file", "min_lines", "max_lines", "context_lines", "max_file_bytes"):
            require(sections["fim"], key, int, f"{path}: fim")
        for key in ("per_file", "min_doc_chars", "max_function_chars"):
            require(sections["docstring"], key, int, f"{path}: docstring")
        for key in ("educational_seeds", "package_seeds"):
            require(sections["llm"], key, int, f"{path}: llm")
        languages = {}
        for name, entry in require(sections["fim"], "languages", dict, f"{path}: fim").items():
            if not isinstance(entry, dict) or not {"grammar", "tag", "bodies", "statements"} <= set(entry):
                raise RuleFileError(f"{path}: fim.languages.{name} needs grammar, tag, bodies and statements")
            languages[name] = FimLanguage(entry["grammar"], entry["tag"], frozenset(entry["bodies"]), frozenset(entry["statements"]))
        return cls(require(data, "seed", int, path), sections["fim"], languages, sections["docstring"], sections["llm"])
