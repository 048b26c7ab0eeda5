"""Edits picked up while running: intents/ and content/ are looked at (one stat per file)
before each turn. A changed folder is loaded afresh and swapped in whole; a file edited into
invalid form is reported in one line and the last good version keeps serving.

`listen` loads it in the background (`background=True`): expanding and embedding the intents takes
seconds, and done in the listening loop it held the microphone's frames that long (in the room soak
of 2026-12-08 the echo canceller lost its own voice at each reload, until the sound server
restarted; that the stall caused it is not proven).
The version loaded before serves until the new one is ready. `chat` loads it before the line."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from assistant.dialogue.content import load_content
from assistant.dialogue.session import Dialogue
from assistant.errors import AssistantError
from assistant.understanding.catalogue_cache import cached_catalogue

log = logging.getLogger(__name__)


def _stamp(folders: tuple[Path, ...]) -> tuple:
    stamps = []
    for folder in folders:
        try:
            files = sorted(folder.glob("*.yaml"))
        except OSError:
            continue
        for f in files:
            try:
                st = f.stat()
            except OSError:  # removed between glob and stat: the next look sees it
                continue
            stamps.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(stamps)


class Reloader:
    def __init__(self, dialogue: Dialogue, intents: Path, content: Path,
                 warn: Callable[[str], None] = log.warning, background: bool = False) -> None:
        self.dialogue = dialogue
        self.folders = (intents, content)
        self.warn = warn
        self.background = background
        self.seen = _stamp(self.folders)
        self.reloads = 0
        self.failures = 0
        self._building: threading.Thread | None = None
        self._built: tuple | AssistantError | None = None

    def poll(self) -> bool:
        """Load the folders again if a file changed; True when a new version now serves (in the
        background: at the first poll after it is ready)."""
        if self._building is not None:
            if self._building.is_alive():
                return False
            self._building = None
            return self._swap(self._built)
        stamp = _stamp(self.folders)
        if stamp == self.seen:
            return False
        self.seen = stamp  # a bad edit is reported once, not at every turn
        if not self.background:
            return self._swap(self._build())
        self._building = threading.Thread(target=self._build_in_background, name="assistant-reload", daemon=True)
        self._building.start()
        return False

    def _build_in_background(self) -> None:
        self._built = self._build()

    def _build(self) -> tuple | AssistantError:
        try:
            catalogue = cached_catalogue(self.folders[0])
            content = load_content(self.folders[1])
            return catalogue, content, self.dialogue.matcher.with_catalogue(catalogue)
        except AssistantError as exc:
            return exc

    def _swap(self, built: tuple | AssistantError | None) -> bool:
        if not isinstance(built, tuple):
            self.failures += 1
            self.warn(f"{built}; still using the version loaded before")
            return False
        catalogue, content, matcher = built
        self.dialogue.matcher, self.dialogue.content = matcher, content
        self.reloads += 1
        log.info("reloaded intents and content: %d sentences", len(catalogue.sentences))
        return True
