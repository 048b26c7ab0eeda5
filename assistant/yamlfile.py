"""YAML loading that remembers line numbers, rejects duplicate keys, and checks schemas strictly.

Loaded mappings are `Node` dicts and sequences are `NodeList` lists; both carry `.line` (of the
container) and `.lines` (of each key or item), so a validator can name the exact line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import yaml

from assistant.errors import DataFileError


class Node(dict):
    line: int = 0
    lines: dict


class NodeList(list):
    line: int = 0
    lines: list


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so `yes:` and `no:` stay words."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(0, (
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    out = Node()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise DataFileError(loader.name, key_node.start_mark.line + 1, f"key {key!r} must be text")
        if key in out:
            raise DataFileError(loader.name, key_node.start_mark.line + 1, f"duplicate key {key!r}")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> NodeList:
    out = NodeList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(path: Path, error: type[DataFileError] = DataFileError) -> Any:
    """Parse one YAML file; any problem becomes `error` naming the file and line."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(str(path), None, "file not found") from None
    except OSError as exc:
        raise error(str(path), None, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(str(path), line, "not valid UTF-8; save the file as UTF-8") from None
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: the reader refuses the text up front
        line = text[: exc.position].count("\n") + 1
        raise error(str(path), line, f"invalid YAML: {exc.reason} (U+{exc.character:04X}); remove it") from None
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except DataFileError as exc:
        raise error(exc.path, exc.line, exc.problem) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise error(str(path), line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise error(str(path), None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


class Checker:
    """Schema checks for one file: each failure raises `error` with file and line."""

    def __init__(self, path: Path, error: type[DataFileError]) -> None:
        self.path = str(path)
        self.error = error

    def fail(self, line: int | None, problem: str) -> None:
        raise self.error(self.path, line, problem)

    def mapping(self, value: Any, line: int | None, what: str, *, required: tuple = (),
                optional: tuple = (), any_keys: bool = False) -> Node:
        if not isinstance(value, dict):
            self.fail(line, f"{what} must be a mapping, got {_kind(value)}")
        if not any_keys:
            allowed = set(required) | set(optional)
            for key in value:
                if key not in allowed:
                    hint = ", ".join(sorted(map(str, allowed)))
                    self.fail(value.lines.get(key, value.line), f"unknown key {key!r} in {what} (allowed: {hint})")
        for key in required:
            if key not in value:
                self.fail(value.line, f"{what} is missing required key {key!r}")
        return value

    def sequence(self, value: Any, line: int | None, what: str, *, nonempty: bool = True) -> NodeList:
        if not isinstance(value, list):
            self.fail(line, f"{what} must be a list, got {_kind(value)}")
        if nonempty and not value:
            self.fail(line, f"{what} is empty")
        return value

    def text(self, value: Any, line: int | None, what: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(line, f"{what} must be text, got {_kind(value)}")
        value = str(value)
        if not value.strip():
            self.fail(line, f"{what} is empty")
        return value

    def number(self, value: Any, line: int | None, what: str, *, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.fail(line, f"{what} must be a number from {low:g} to {high:g}, got {value!r}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", Node: "a mapping", list: "a list", NodeList: "a list", str: "text"}.get(
        type(value), type(value).__name__)


def line_of(container: Any, key: Any) -> int | None:
    lines: Any = getattr(container, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key, getattr(container, "line", None))
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return getattr(container, "line", None)


Validator = Callable[[Any, Checker], Any]
