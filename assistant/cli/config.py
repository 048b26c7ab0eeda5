"""The config file: one YAML mapping of command-line flags to the values to use by default.

Looked for at --config PATH, else $XDG_CONFIG_HOME/assistant/config.yaml (~/.config/...).
No file: the built-in defaults. Keys are the long flags without "--" (`rate: 150`,
`output-device: pulse`, `safety-threshold: 80`); a flag given on the command line wins over
the file. Every key and value is checked at start-up; a problem names the file and line.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.hearing.endpoint import SILENCE
from assistant.yamlfile import Checker, line_of, load

# key: (kind, details). kinds: text, path, device, choice (values), int/number (low, high), flag
KEYS: dict[str, tuple] = {
    "tts": ("choice", ("piper", "pyttsx3")), "voice": ("text",), "rate": ("int", 60, 400), "volume": ("number", 0, 1),
    "render-timeout": ("number", 0.1, 600), "output-device": ("device",), "input-device": ("device",),
    "engine": ("choice", ("moonshine", "vosk", "pocketsphinx")), "model": ("path",), "no-bias": ("flag",),
    "region": ("text",), "cycles": ("int", 1, 50),
    "threshold": ("number", 0, 100), "margin": ("number", 0, 100),
    "safety-threshold": ("number", 0, 100), "safety-floor": ("number", 0, 100),
    "safety-sure": ("number", 0, 1), "safety-unsure": ("number", 0, 1),
    "endpoint": ("choice", tuple(SILENCE)), "silence": ("number", 0.2, 5), "turn": ("choice", ("smart", "words", "window")),
    "guard": ("number", 0, 5), "barge-in": ("flag",), "safety-watch": ("flag",), "echo": ("number", 0, 100),
    "echo-cancel": ("choice", ("webrtc", "speex", "off")), "follow-up": ("number", 0, 600),
    "unprompted-threshold": ("number", 0, 100), "unprompted-distress-threshold": ("number", 0, 100),
    "always-answer": ("flag",), "wake-word": ("text",),
    "tone": ("flag",), "timeout-reminder": ("flag",), "intents": ("path",), "content": ("path",),
    "events": ("path",), "transcript": ("path",),  # opt-in writers: nothing is written unless set
}


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "assistant" / "config.yaml"


def read(path: Path) -> dict[str, Any]:
    """The settings in the file, as argparse destinations -> values; {} for an empty file."""
    data = load(path, ConfigError)
    if data is None:
        return {}
    check = Checker(path, ConfigError)
    check.mapping(data, getattr(data, "line", 1), "the config file", optional=tuple(KEYS))
    values = {}
    for key, value in data.items():
        line = line_of(data, key)
        kind, *details = KEYS[key]
        values[key.replace("-", "_")] = _value(check, key, kind, details, value, line, path)
    return values


def _value(check: Checker, key: str, kind: str, details: list, value: Any, line: int | None, path: Path) -> Any:
    if kind == "flag":
        if not isinstance(value, bool):
            check.fail(line, f"{key} must be true or false, got {value!r}")
        return value
    if kind in ("int", "number"):
        low, high = details
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            check.fail(line, f"{key} must be a whole number from {low:g} to {high:g}, got {value!r}")
        return check.number(value, line, key, low=low, high=high)
    if kind == "device" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = check.text(value, line, key)
    if kind == "choice" and text not in details[0]:
        check.fail(line, f"{key} must be one of {', '.join(details[0])}, got {text!r}")
    if kind == "path":
        target = Path(text).expanduser()
        # absolute, but not resolved: a log named here that is a symlink must reach open_private as one
        return target if target.is_absolute() else Path(os.path.abspath(Path(path).parent / target))
    return text


def config_path(argv: list[str]) -> tuple[Path | None, list[str]]:
    """--config PATH taken out of argv (it may come anywhere); None = the default location."""
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--config", type=Path, default=None)
    known, rest = pre.parse_known_args(argv)
    return known.config, rest


def apply(parser: argparse.ArgumentParser, values: dict[str, Any]) -> None:
    """Make the file's values the defaults of every (sub)command that has those flags."""
    dests = {a.dest for a in parser._actions}
    parser.set_defaults(**{k: v for k, v in values.items() if k in dests})
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                apply(sub, values)
