"""The opt-in logs of the voice loop: `--events` (one JSON line per turn and event) and
`--transcript` (the conversation). Nothing is written unless the user names a file; a named file
is private (assistant/private_files.py: owner-only, appended to, never through a link).

Each line is written whole or not at all: a write the disk cuts short (a full disk) is taken
back to where the line began, so a reader never meets half a line. A write that fails
mid-session is one warning: the session carries on, what the file holds is kept, and the lines
said meanwhile are dropped (counted); it tries again at most once a minute, and when the disk has
room again it writes on (the events log first says how many lines were lost), with one more line
of warning."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import IO

from assistant.private_files import open_private

log = logging.getLogger(__name__)

RETRY = 60.0  # seconds between two tries to write again after a failed write


def open_log(path: Path | None, flag: str) -> IO[str] | None:
    """An opt-in log file, appended to, owner-only; None (nothing written) when the user named none.
    A path that cannot be used safely raises InputError (one line) before anything is written."""
    return open_private(path, flag) if path else None


class _Log:
    """One opt-in log: whole lines appended under a lock; a failed write pauses it (see above)."""

    def __init__(self, stream: IO[str] | None, name: str, retry: float = RETRY) -> None:
        self.stream = stream
        self.name = name  # "--events FILE", for the warning
        self.lock = threading.Lock()
        self.retry = retry
        self.lost = 0  # lines dropped since a write failed
        self._failed_at: float | None = None  # monotonic time of the last failed write, while paused

    def _append(self, line: str) -> None:
        with self.lock:
            if self.stream is None:
                return
            if self._failed_at is not None:
                if time.monotonic() - self._failed_at < self.retry:
                    self.lost += 1
                    return
                line = self._resumed(self.lost) + line
            try:
                self._put(line)
            except OSError as exc:
                self._failed(exc)
                return
            if self._failed_at is not None:
                log.warning("%s: writing again (%d lines were lost while it could not write)", self.name, self.lost)
                self._failed_at, self.lost = None, 0

    def _put(self, text: str) -> None:
        """`text` appended whole, or (OSError) nothing of it left in the file."""
        fd = _fileno(self.stream)
        if fd is None:  # not a file of its own (a test's buffer): the stream's own writes
            self.stream.write(text)
            self.stream.flush()
            return
        data = text.encode("utf-8", "backslashreplace")
        start = os.fstat(fd).st_size
        done = 0
        try:
            while done < len(data):
                done += os.write(fd, data[done:])
        except OSError:
            if done:  # the disk took part of it: take it back, no half line is left
                try:
                    os.ftruncate(fd, start)
                except OSError:
                    pass
            raise

    def _failed(self, exc: OSError) -> None:
        self.lost += 1
        if self._failed_at is None:
            log.warning("%s: could not write (%s); carrying on without it (what it already holds is kept; "
                        "trying again every %g s)", self.name, exc.strerror or exc, self.retry)
        self._failed_at = time.monotonic()
        if _fileno(self.stream) is None:  # its buffer may hold half a line: never written again
            stream, self.stream = self.stream, None
            _close(stream)

    def _resumed(self, lost: int) -> str:
        """What goes first when it writes again after `lost` lines were dropped."""
        return ""

    def close(self) -> None:
        with self.lock:
            stream, self.stream = self.stream, None
        if stream is not None:
            _close(stream)


def _fileno(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _close(stream: IO[str]) -> None:
    try:
        stream.close()
    except OSError:  # nothing is buffered (lines go straight to the file); already warned about
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

    def _resumed(self, lost: int) -> str:
        return json.dumps({"time": round(time.time(), 3), "event": "log resumed", "lost": lost}) + "\n"
