"""Intents edited while `listen` runs are loaded in the background (assistant/cli/reload.py): the
listening loop never waits for the expansion and embedding (in the room soak a reload done in the
loop held the microphone's frames for seconds), the version before serves until the new one is
ready, and a bad edit is one line while the last good version keeps serving."""

from __future__ import annotations

import shutil
import threading
import time

from assistant.cli.reload import Reloader
from tests.conftest import ROOT


def _copies(tmp_path):
    intents, content = tmp_path / "intents", tmp_path / "content"
    shutil.copytree(ROOT / "intents", intents)
    shutil.copytree(ROOT / "content", content)
    return intents, content


def test_an_edit_is_loaded_beside_the_loop_and_swapped_in_when_ready(app, tmp_path, monkeypatch):
    intents, content = _copies(tmp_path)
    dialogue = app.dialogue()
    warnings: list[str] = []
    reloader = Reloader(dialogue, intents, content, warnings.append, background=True)
    release = threading.Event()
    build = reloader._build
    monkeypatch.setattr(reloader, "_build", lambda: (release.wait(60), build())[1])  # a slow load, held open
    path = intents / "in_the_moment.yaml"
    path.write_text(path.read_text().replace("  take_break:\n    sentences:\n",
                                             "  take_break:\n    sentences:\n      - \"purple elephant\"\n", 1))
    before = dialogue.matcher
    started = time.perf_counter()
    assert reloader.poll() is False  # the load started in the background...
    assert time.perf_counter() - started < 0.5  # ...and the loop did not wait for it
    assert reloader.poll() is False and dialogue.matcher is before  # the version before serves meanwhile
    release.set()
    deadline = time.monotonic() + 120
    while not reloader.poll():
        assert time.monotonic() < deadline, "the edit was never swapped in"
        time.sleep(0.05)
    assert dialogue.matcher.match("purple elephant").intent == "take_break"
    assert reloader.reloads == 1 and not warnings


def test_a_bad_edit_loaded_in_the_background_is_one_line_and_the_last_good_version_serves(app, tmp_path):
    intents, content = _copies(tmp_path)
    dialogue = app.dialogue()
    warnings: list[str] = []
    reloader = Reloader(dialogue, intents, content, warnings.append, background=True)
    path = intents / "in_the_moment.yaml"
    path.write_text(path.read_text().replace("intents:", "intents:\n  take_break: [oops", 1))
    before = dialogue.matcher
    deadline = time.monotonic() + 60
    while reloader._building is None or reloader._building.is_alive():
        reloader.poll()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert reloader.poll() is False and reloader.poll() is False
    assert dialogue.matcher is before and reloader.failures == 1
    assert len(warnings) == 1 and "in_the_moment.yaml:" in warnings[0] and "still using" in warnings[0]
