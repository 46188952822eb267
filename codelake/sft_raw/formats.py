"""The one chat normalizer: instruction records in the common formats -> system/user/assistant turns.

Formats (decided by which keys a record has, in this order):

  messages       OpenAI: [{"role", "content"}], content a string or a list of {"type": "text", "text"} parts
  conversations  ShareGPT: [{"from", "value"}], optional record-level "system"
  alpaca         "instruction", optional "input", "output", optional "system"
  prompt_completion  "prompt", "completion", optional "system"

A normalized conversation is: an optional system turn first, then user and assistant turns alternating,
starting with a user turn and ending with an assistant turn; no turn empty. Anything else is a
`Rejection` with a reason (the lineage reasons of sft_raw) and a detail saying what was wrong.
`training/chat.py` reads chat files through `chat_turns`, so training and the lake agree on one format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR

RAW_RULES = RULES_DIR / "sft" / "raw.yaml"
FORMATS = ("messages", "conversations", "alpaca", "prompt_completion")
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class RawRules:
    max_line_bytes: int
    max_record_chars: int
    max_turns: int
    roles: dict[str, str]
    id_fields: tuple[str, ...]
    test_fields: tuple[str, ...]

    @classmethod
    def load(cls, path: str | Path = RAW_RULES) -> RawRules:
        data = load_rule_file(path)
        numbers = {key: require(data, key, int, path) for key in ("max_line_bytes", "max_record_chars", "max_turns")}
        for key, value in numbers.items():
            if value < 1:
                raise RuleFileError(f"{path}: '{key}' must be >= 1, got {value}")
        roles = require(data, "roles", dict, path)
        bad = {k: v for k, v in roles.items() if v not in ROLES}
        if bad:
            raise RuleFileError(f"{path}: 'roles' may map only to {ROLES}, got {bad}")
        return cls(
            **numbers, roles={str(k).lower(): v for k, v in roles.items()},
            id_fields=tuple(require(data, "id_fields", list, path)), test_fields=tuple(require(data, "test_fields", list, path)),
        )


@dataclass(frozen=True)
class Normalized:
    format: str
    turns: list[dict]  # [{"role", "content"}]
    record_id: str | None = None
    tests: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    reason: str  # no_format, wrong_schema, unknown_role, empty_turn, broken_role_order, oversized, invalid_utf8
    detail: str


def _format_of(record: dict) -> str | None:
    if "messages" in record:
        return "messages"
    if "conversations" in record:
        return "conversations"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "prompt" in record and "completion" in record:
        return "prompt_completion"
    return None


def _text_of(content) -> str | None:
    """A turn's text: a string, or OpenAI's list of text parts joined; None for anything else."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
        return "".join(p["text"] for p in content)
    return None


def _raw_turns(record: dict, kind: str, rules: RawRules) -> list[tuple[str, object]] | Rejection:
    """(role as written, content) pairs in order, or a rejection for a wrongly shaped record."""
    if kind in ("messages", "conversations"):
        items = record[kind]
        role_key, content_key = ("role", "content") if kind == "messages" else ("from", "value")
        if not isinstance(items, list):
            return Rejection("wrong_schema", f"'{kind}' must be a list, got {type(items).__name__}")
        pairs = []
        if kind == "conversations" and record.get("system") not in (None, ""):
            pairs.append(("system", record["system"]))
        for i, item in enumerate(items):
            if not isinstance(item, dict) or role_key not in item or content_key not in item:
                return Rejection("wrong_schema", f"{kind}[{i}] must be an object with '{role_key}' and '{content_key}'")
            pairs.append((item[role_key], item[content_key]))
        return pairs
    system = record.get("system")
    pairs = [("system", system)] if system not in (None, "") else []
    if kind == "alpaca":
        instruction, extra = record["instruction"], record.get("input")
        if not isinstance(instruction, str) or (extra is not None and not isinstance(extra, str)):
            return Rejection("wrong_schema", "'instruction' and 'input' must be strings")
        user = instruction + (f"\n\n{extra}" if extra and extra.strip() else "")
        return [*pairs, ("user", user), ("assistant", record["output"])]
    return [*pairs, ("user", record["prompt"]), ("assistant", record["completion"])]


def _role_order_problem(roles: list[str]) -> str | None:
    body = roles[1:] if roles and roles[0] == "system" else roles
    if "system" in body:
        return f"a system turn at position {roles.index('system', 1 if roles[0] == 'system' else 0)} (only the first turn may be system)"
    if len(body) < 2:
        return "needs at least one user turn and one assistant turn"
    for i, role in enumerate(body):
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            return f"turn {i + (len(roles) - len(body))} is {role}, expected {expected} (user and assistant must alternate, user first)"
    if body[-1] != "assistant":
        return "the last turn must be the assistant's"
    return None


def _first_string(record: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None


def _tests(record: dict, keys: tuple[str, ...]) -> list[str] | Rejection:
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return [value] if value.strip() else []
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v for v in value if v.strip()]
        return Rejection("wrong_schema", f"'{key}' must be a string or a list of strings (Python tests)")
    return []


def normalize_record(record, rules: RawRules) -> Normalized | Rejection:
    """One record -> its normalized turns, or why it cannot be used."""
    if not isinstance(record, dict):
        return Rejection("no_format", f"a JSON {type(record).__name__}, not an object")
    kind = _format_of(record)
    if kind is None:
        keys = ", ".join(sorted(map(str, record))[:12]) or "none"
        return Rejection("no_format", f"keys ({keys}) match no chat format: messages, conversations, instruction+output, prompt+completion")
    pairs = _raw_turns(record, kind, rules)
    if isinstance(pairs, Rejection):
        return pairs
    turns = []
    for i, (role, content) in enumerate(pairs):
        mapped = rules.roles.get(role.lower()) if isinstance(role, str) else None
        if mapped is None:
            return Rejection("unknown_role", f"turn {i}: role {role!r} is none of {sorted(rules.roles)}")
        text = _text_of(content)
        if text is None:
            return Rejection("wrong_schema", f"turn {i} ({mapped}): content must be a string or a list of text parts, got {type(content).__name__}")
        if not text.strip():
            return Rejection("empty_turn", f"turn {i} ({mapped}) is empty")
        turns.append({"role": mapped, "content": text})
    problem = _role_order_problem([t["role"] for t in turns])
    if problem:
        return Rejection("broken_role_order", problem)
    if len(turns) > rules.max_turns:
        return Rejection("oversized", f"{len(turns)} turns > max_turns {rules.max_turns} (rules/sft/raw.yaml)")
    chars = sum(len(t["content"]) for t in turns)
    if chars > rules.max_record_chars:
        return Rejection("oversized", f"{chars} characters > max_record_chars {rules.max_record_chars} (rules/sft/raw.yaml)")
    for i, turn in enumerate(turns):
        try:
            turn["content"].encode("utf-8")
        except UnicodeEncodeError as err:  # a JSON "\ud800" escape: not text any writer can store
            return Rejection("invalid_utf8", f"turn {i}: unpaired surrogate at character {err.start}")
    tests = _tests(record, rules.test_fields)
    if isinstance(tests, Rejection):
        return tests
    return Normalized(kind, turns, _first_string(record, rules.id_fields), tests)


_DEFAULT_RULES: list[RawRules] = []


def default_rules() -> RawRules:
    if not _DEFAULT_RULES:
        _DEFAULT_RULES.append(RawRules.load())
    return _DEFAULT_RULES[0]


def chat_turns(record) -> list[dict] | None:
    """[{role, content}] for a usable record in any known format, else None (the trainer's entry point)."""
    result = normalize_record(record, default_rules())
    return result.turns if isinstance(result, Normalized) else None


def chat_text(turns) -> str:
    """The text of a conversation that dedup and decontamination look at: every turn's content."""
    return "\n".join(t["content"] for t in turns)
