"""Shared fixtures and the pipeline test helper (in the spirit of pipecat's run_test)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.app import Assistant, build
from assistant.dialogue.session import DialogueSettings
from assistant.messages import IntentMatch, Reply

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "scripts"))

# The tests hear with PocketSphinx whatever this machine holds: `make setup` may have fetched the
# English Vosk model into models/ (or one may be in ~/.cache/vosk), which the assistant would
# otherwise pick up. Vosk is tested with the Korean model, always passed explicitly. Set for this
# process and every assistant it starts.
os.environ["ASSISTANT_VOSK_MODEL"] = "none"

import evaluate  # noqa: E402  (scripts/evaluate.py: the dev-set and CLINC loaders)
from evaluate import read_tsv  # noqa: E402,F401


@pytest.fixture(scope="session")
def app() -> Assistant:
    assistant = build()
    # Matching is a pure function of the text: the sets several tests score (CLINC150's 4,761
    # queries, the safety sets) are matched once per session.
    assistant.matcher.match = functools.lru_cache(maxsize=None)(assistant.matcher.match)
    return assistant


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


def dev_rows(split: str | None = None) -> list[dict]:
    """The frozen dev set, read by the same code the benchmarks use."""
    return evaluate.dev_rows(split or "all")


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 60,
            env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          timeout=timeout, env=env, cwd=ROOT)
