"""Prompt templates (rules/prompts/<name>.yaml): a system and a user message with `$placeholders`, and
the request parameters. Their bytes are hashed into the code_version of every asset that prompts."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file
from codelake.settings import RULES_DIR, fingerprint

PROMPTS_DIR = RULES_DIR / "prompts"
_PARAMS = {"temperature", "top_p", "max_tokens", "seed", "stop", "presence_penalty", "frequency_penalty"}


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    path: Path
    system: str
    user: str
    params: dict = field(default_factory=dict)

    @property
    def placeholders(self) -> set[str]:
        found = set()
        for text in (self.system, self.user):
            for _, named, braced, _ in string.Template.pattern.findall(text):
                found.add(named or braced)
        return found - {""}

    def messages(self, **values: str) -> list[dict]:
        """The chat messages with `values` substituted (values are inserted as they are, never re-read as templates)."""
        missing = self.placeholders - set(values)
        if missing:
            raise RuleFileError(f"{self.path}: placeholders {sorted(missing)} have no value")
        messages = []
        if self.system.strip():
            messages.append({"role": "system", "content": string.Template(self.system).substitute(values)})
        messages.append({"role": "user", "content": string.Template(self.user).substitute(values)})
        return messages


def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> PromptTemplate:
    path = directory / f"{name}.yaml"
    data = load_rule_file(path)
    user = data.get("user")
    if not isinstance(user, str) or not user.strip():
        raise RuleFileError(f"{path}: 'user' must be the user message's template")
    system = data.get("system", "")
    if not isinstance(system, str):
        raise RuleFileError(f"{path}: 'system' must be text")
    params = data.get("params") or {}
    if not isinstance(params, dict) or set(params) - _PARAMS:
        raise RuleFileError(f"{path}: 'params' must map some of {sorted(_PARAMS)} to values, got {params!r}")
    template = PromptTemplate(name, path, system, user, dict(params))
    for text in (system, user):
        try:
            string.Template(text).substitute({p: "" for p in template.placeholders})
        except ValueError as err:
            raise RuleFileError(f"{path}: bad placeholder ({err}); write a literal $ as $$") from err
    return template


def prompts_fingerprint(directory: Path = PROMPTS_DIR) -> str:
    """Hash of every template: editing a prompt makes the assets that use it stale."""
    return fingerprint(*sorted(directory.glob("*.yaml")))
