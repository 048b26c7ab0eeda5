"""Edits picked up while running: intents/ and content/ are looked at (one stat per file)
before each turn. A changed folder is loaded afresh and swapped in whole; a file edited into
invalid form is reported in one line and the last good version keeps serving."""

from __future__ import annotations

import logging
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
                 warn: Callable[[str], None] = log.warning) -> None:
        self.dialogue = dialogue
        self.folders = (intents, content)
        self.warn = warn
        self.seen = _stamp(self.folders)
        self.reloads = 0
        self.failures = 0

    def poll(self) -> bool:
        """Load the folders again if a file changed; True when a new version now serves."""
        stamp = _stamp(self.folders)
        if stamp == self.seen:
            return False
        self.seen = stamp  # a bad edit is reported once, not at every turn
        try:
            catalogue = cached_catalogue(self.folders[0])
            content = load_content(self.folders[1])
            matcher = self.dialogue.matcher.with_catalogue(catalogue)
        except AssistantError as exc:
            self.failures += 1
            self.warn(f"{exc}; still using the version loaded before")
            return False
        self.dialogue.matcher, self.dialogue.content = matcher, content
        self.reloads += 1
        log.info("reloaded intents and content: %d sentences", len(catalogue.sentences))
        return True
