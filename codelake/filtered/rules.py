"""Load and validate the filter rules in rules/filters/*.yaml.

File format (one file per rule family)::

    rules:
      - name: code_num_words_min            # unique across all files
        signal: qsc_code_num_words          # a name from codelake.filtered.registry.SIGNALS
        op: "<"                             # < <= > >= == !=
        threshold: 30                       # number; true/false for cate_* (boolean) signals
        applies_to: [others, data, python]  # RefineCode profiles (codelake.filtered.profiles.PROFILES)
        probability: 1.0                    # drop probability when the condition holds (0.8 for & R rules)
        enabled: true                       # optional; false keeps a reference rule that is off in every profile
        description: ...

Any problem is a RuleError naming the file and the 1-based line of the offending value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from codelake.filtered.profiles import PROFILES
from codelake.filtered.registry import NOT_COMPUTED, SIGNALS
from codelake.settings import RULES_DIR

DEFAULT_DIR = RULES_DIR / "filters"
OPS = ("<", "<=", ">", ">=", "==", "!=")
KEYS = {"name", "signal", "op", "threshold", "applies_to", "probability", "description", "enabled"}
REQUIRED = ("name", "signal", "op", "threshold", "applies_to", "probability", "description")


class RuleError(ValueError):
    """A rule file is malformed; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Rule:
    name: str
    signal: str
    op: str
    threshold: float | bool
    applies_to: tuple[str, ...]
    probability: float
    description: str
    enabled: bool = True
    source: str = ""  # file:line, for error messages and stats


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[Path, ...] = field(default=())
    raw: bytes = b""

    def fingerprint(self) -> str:
        """sha256 of the YAML bytes (file names included): a new value whenever a rule changes."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def by_name(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def with_threshold(self, name: str, threshold) -> RuleSet:
        """A copy with one rule's threshold changed (to try another threshold without editing YAML)."""
        import dataclasses

        return dataclasses.replace(
            self, rules=tuple(dataclasses.replace(r, threshold=threshold) if r.name == name else r for r in self.rules)
        )

    def __len__(self) -> int:
        return len(self.rules)


def _scalar(node: yaml.Node):
    return yaml.safe_load(yaml.serialize(node)) if node is not None else None


def _parse_file(path: Path, text: str) -> list[Rule]:
    def err(node, msg: str) -> RuleError:
        line = node.start_mark.line + 1 if node is not None else 1
        return RuleError(f"{path}:{line}: {msg}")

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise RuleError(f"{path}:{line}: invalid YAML: {exc}") from exc
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise err(root, "expected a mapping with a 'rules' list at the top level")
    top = {k.value: v for k, v in root.value}
    unknown_top = set(top) - {"rules"}
    if unknown_top:
        key = next(k for k, _ in root.value if k.value in unknown_top)
        raise err(key, f"unknown top-level key {key.value!r} (expected only 'rules')")
    seq = top.get("rules")
    if not isinstance(seq, yaml.SequenceNode):
        raise err(seq if seq is not None else root, "'rules' must be a list")
    out = []
    for item in seq.value:
        if not isinstance(item, yaml.MappingNode):
            raise err(item, "each rule must be a mapping")
        nodes = {k.value: (k, v) for k, v in item.value}
        for key in nodes:
            if key not in KEYS:
                raise err(nodes[key][0], f"unknown key {key!r} (expected {sorted(KEYS)})")
        for key in REQUIRED:
            if key not in nodes:
                raise err(item, f"rule is missing {key!r}")
        values = {k: _scalar(v) for k, (_, v) in nodes.items()}
        name = values["name"]
        if not isinstance(name, str) or not name:
            raise err(nodes["name"][1], f"rule name must be a non-empty string, got {name!r}")
        enabled = values.get("enabled", True)
        if not isinstance(enabled, bool):
            raise err(nodes["enabled"][1], f"rule {name}: 'enabled' must be true or false, got {enabled!r}")
        signal = values["signal"]
        if signal not in SIGNALS:
            if signal in NOT_COMPUTED:
                if enabled:
                    raise err(nodes["signal"][1], f"rule {name}: signal {signal!r} is not computed by codelake; only a disabled rule may name it")
            else:
                raise err(nodes["signal"][1], f"rule {name}: unknown signal {signal!r}")
        op = values["op"]
        if op not in OPS:
            raise err(nodes["op"][1], f"rule {name}: bad op {op!r} (expected one of {', '.join(OPS)})")
        threshold = values["threshold"]
        kind = SIGNALS.get(signal, ("bool" if "_cate_" in signal else "float", ""))[0]
        if kind == "bool":
            if not isinstance(threshold, bool) or op not in ("==", "!="):
                raise err(nodes["threshold"][1], f"rule {name}: boolean signal {signal} needs op == or != and threshold true/false, got {op} {threshold!r}")
        elif isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold != threshold:
            raise err(nodes["threshold"][1], f"rule {name}: threshold must be a number, got {threshold!r}")
        else:
            threshold = float(threshold)
        probability = values["probability"]
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0.0 < probability <= 1.0:
            raise err(nodes["probability"][1], f"rule {name}: probability must be a number in (0, 1], got {probability!r}")
        applies = values["applies_to"]
        if isinstance(applies, str):
            applies = [applies]
        if not isinstance(applies, list) or not applies:
            raise err(nodes["applies_to"][1], f"rule {name}: applies_to must be a non-empty list of profiles")
        for profile in applies:
            if profile not in PROFILES:
                raise err(nodes["applies_to"][1], f"rule {name}: unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        description = values["description"]
        if not isinstance(description, str):
            raise err(nodes["description"][1], f"rule {name}: description must be a string")
        out.append(
            Rule(name, signal, op, threshold, tuple(applies), float(probability), description, enabled,
                 f"{path}:{item.start_mark.line + 1}")
        )
    return out


def load_rules(path_or_dir: str | Path | None = None) -> RuleSet:
    """All rules of a directory of *.yaml files (sorted by name) or of one file; validated."""
    path = Path(path_or_dir) if path_or_dir is not None else DEFAULT_DIR
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise RuleError(f"{path}: no rule files (*.yaml)")
    rules: list[Rule] = []
    raw = hashlib.sha256()
    blob = b""
    seen: dict[str, str] = {}
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise RuleError(f"{file}:1: cannot read rule file: {exc}") from exc
        blob += file.name.encode() + b"\0" + data + b"\0"
        for rule in _parse_file(file, data.decode("utf-8")):
            if rule.name in seen:
                raise RuleError(f"{rule.source}: duplicate rule name {rule.name!r} (first at {seen[rule.name]})")
            seen[rule.name] = rule.source
            rules.append(rule)
    del raw
    return RuleSet(tuple(rules), tuple(files), blob)
