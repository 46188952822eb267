"""Loading YAML rule files with errors that name the file and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from codelake.settings import RULES_DIR


# libyaml's loader when present: the 700-entry language table loads ~10x faster than in pure Python.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str | bytes):
    return yaml.load(text, Loader=YamlLoader)


class RuleFileError(ValueError):
    """A rule file is missing, unparsable or holds a bad value; the message names the file."""


def load_rule_file(name_or_path: str | Path) -> dict[str, Any]:
    path = Path(name_or_path)
    if not path.is_absolute() and not path.exists():
        path = RULES_DIR / path
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RuleFileError(f"{path}: cannot read rule file: {err}") from err
    except yaml.YAMLError as err:
        raise RuleFileError(f"{path}: invalid YAML: {err}") from err
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], source: str | Path) -> Any:
    """`data[key]`, checked to be of `kind`; a clear error naming the file and key otherwise."""
    if key not in data:
        raise RuleFileError(f"{source}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RuleFileError(f"{source}: '{key}' must be {kind}, got {value!r}")
    return value
