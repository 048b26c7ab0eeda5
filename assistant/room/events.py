"""The opt-in logs of the voice loop: `--events` (one JSON line per turn and event) and
`--transcript` (the conversation). Nothing is written unless the user names a file."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import IO

from assistant.errors import InputError


def open_log(path: Path | None, flag: str) -> IO[str] | None:
    """An opt-in log file, appended to; None (nothing written) when the user named none."""
    try:
        return open(path, "a", encoding="utf-8", buffering=1) if path else None
    except OSError as exc:
        raise InputError(f"{flag} {path}: cannot write there ({exc.strerror})") from None


class TranscriptLog:
    """The opt-in conversation log: `you: ...` / `assistant: ...` lines, only when asked."""

    def __init__(self, path: Path | None) -> None:
        self.stream = open_log(path, "--transcript")

    def write(self, who: str, text: str) -> None:
        if self.stream is not None:
            self.stream.write(f"{who}: {' '.join(text.split())}\n")

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


class Events:
    """The optional per-turn log (JSON lines), written only when the user names a file."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | None) -> "Events":
        return cls(open_log(path, "--events"))

    def write(self, **record) -> None:
        if self.stream is None:
            return
        record = {"time": round(time.time(), 3), **record}  # seconds since the epoch, when written
        with self.lock:
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
