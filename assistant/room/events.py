"""The opt-in logs of the voice loop: `--events` (one JSON line per turn and event) and
`--transcript` (the conversation). Nothing is written unless the user names a file; a named file
is private (assistant/private_files.py: owner-only, appended to, never through a link). A write
that fails mid-session (a full disk) is one warning: the log stops, the session carries on, and
what the file already holds is kept."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import IO

from assistant.private_files import open_private

log = logging.getLogger(__name__)


def open_log(path: Path | None, flag: str) -> IO[str] | None:
    """An opt-in log file, appended to, owner-only; None (nothing written) when the user named none.
    A path that cannot be used safely raises InputError (one line) before anything is written."""
    return open_private(path, flag) if path else None


class _Log:
    """One opt-in log: whole lines appended under a lock; the first failed write ends the log."""

    def __init__(self, stream: IO[str] | None, name: str) -> None:
        self.stream = stream
        self.name = name  # "--events FILE", for the warning
        self.lock = threading.Lock()

    def _append(self, line: str) -> None:
        with self.lock:
            if self.stream is None:
                return
            try:
                self.stream.write(line)
                self.stream.flush()
            except OSError as exc:
                stream, self.stream = self.stream, None
                log.warning("%s: could not write (%s); carrying on without it (what it already holds is kept)",
                            self.name, exc.strerror or exc)
                _close(stream)

    def close(self) -> None:
        with self.lock:
            stream, self.stream = self.stream, None
        if stream is not None:
            _close(stream)


def _close(stream: IO[str]) -> None:
    try:
        stream.close()
    except OSError:  # the last line could not be flushed: already warned about, or the disk just filled
        pass


class TranscriptLog(_Log):
    """The opt-in conversation log: `you: ...` / `assistant: ...` lines, only when asked."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(open_log(path, "--transcript"), f"--transcript {path}")

    def write(self, who: str, text: str) -> None:
        if self.stream is not None:
            self._append(f"{who}: {' '.join(text.split())}\n")


class Events(_Log):
    """The optional per-turn log (JSON lines), written only when the user names a file."""

    def __init__(self, stream: IO[str] | None, name: str = "--events") -> None:
        super().__init__(stream, name)

    @classmethod
    def open(cls, path: Path | None) -> "Events":
        return cls(open_log(path, "--events"), f"--events {path}")

    def write(self, **record) -> None:
        if self.stream is None:
            return
        record = {"time": round(time.time(), 3), **record}  # seconds since the epoch, when written
        self._append(json.dumps(record, ensure_ascii=False) + "\n")
