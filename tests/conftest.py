"""Shared fixtures and the pipeline test helper (in the spirit of pipecat's run_test)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.app import Assistant, build
from assistant.dialogue import DialogueSettings
from assistant.messages import IntentMatch, Reply

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def app() -> Assistant:
    return build()


def run_test(app: Assistant, utterances: list[str], expected: list[str | None] | None = None,
             settings: DialogueSettings = DialogueSettings()) -> list[tuple[IntentMatch, Reply]]:
    """Feed utterances to one fresh session; assert the intents of the replies, in order."""
    dialogue = app.dialogue(settings)
    turns = [dialogue.turn(u) for u in utterances]
    if expected is not None:
        got = [m.intent for m, _ in turns]
        assert got == expected, "\n".join(f"{u!r}: got {m.intent} ({m.score}) want {e}"
                                          for u, (m, _), e in zip(utterances, turns, expected))
    return turns


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def dev_rows(split: str | None = None) -> list[dict]:
    rows = read_tsv(DATA / "dev.tsv")
    for row in rows:
        row["intent"] = None if row["intent"] == "null" else row["intent"]
        row["slots"] = json.loads(row["slots"])
    return [r for r in rows if split is None or r["split"] == split]


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 60,
            env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          timeout=timeout, env=env, cwd=ROOT)
