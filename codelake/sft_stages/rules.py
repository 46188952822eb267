"""rules/sft/stages.yaml: what each SFT stage keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

STAGES_RULES = RULES_DIR / "sft" / "stages.yaml"
NEAR_DEDUP_RULES = RULES_DIR / "sft" / "near_dedup.yaml"
EXECUTIONS = {"no_tests", "not_run", "passed", "failed", "timeout", "limit_exceeded", "crashed"}


@dataclass(frozen=True)
class StageRules:
    stage: str
    require_code: bool
    require_parsed: bool
    executions: frozenset[str]
    max_bytes: int
    near_dedup_preset: str

    @classmethod
    def load(cls, stage: str, path: str | Path = STAGES_RULES) -> StageRules:
        data = load_rule_file(path)
        entry = require(data, stage, dict, path)
        where = f"{path}: {stage}"
        executions = set(require(entry, "executions", list, where))
        if executions - EXECUTIONS:
            raise RuleFileError(f"{where}: unknown executions {sorted(executions - EXECUTIONS)}; known: {sorted(EXECUTIONS)}")
        return cls(stage, require(entry, "require_code", bool, where), require(entry, "require_parsed", bool, where),
                   frozenset(executions), require(entry, "max_bytes", int, where), require(data, "near_dedup_preset", str, path))

    def violation(self, row: dict) -> tuple[str, str] | None:
        """(reason, detail) when a sample of this stage breaks a rule, else None."""
        if self.require_code and not row["code_blocks"]:
            return "no_code", "stage rules require a fenced code block in the answer"
        if self.require_parsed and not row["parsed_blocks"]:
            return "code_not_parsed", f"{row['code_blocks']} code block(s), none in a language that was parsed"
        if row["execution"] not in self.executions:
            return f"tests_{row['execution']}", (row.get("execution_detail") or "")[:300]
        if row["size"] > self.max_bytes:
            return "too_long", f"{row['size']} bytes > max_bytes {self.max_bytes}"
        return None
