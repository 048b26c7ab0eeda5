"""The microphone's health, for the voice loop: audio blocks dropped because the loop fell behind
(logged and written to the events), and a lost device waited for until it comes back.

A lost microphone is one log line and one event; it is tried again every second, silently (the
C audio libraries print some eight lines a failed try: silenced), so a device that never comes
back costs the journal nothing more. Meanwhile a line typed on the assistant's standard input
(a terminal, a pipe) is answered as the typed chat would answer it."""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
import time

from assistant.errors import AudioUnavailable
from assistant.speaking.playback import native_stderr_quiet

log = logging.getLogger(__name__)


class MicrophoneWatch:
    def __init__(self, mic, events, stopping: threading.Event, retry: float = 1.0, typed=None,
                 stdin=None) -> None:
        self.mic = mic
        self.events = events
        self.stopping = stopping  # set: stop waiting for a lost device
        self.retry = retry  # seconds between two tries to open a lost device
        self.typed = typed  # called with each line typed while the device is lost, or None
        self.stdin = stdin  # where typed lines come from (default: sys.stdin, when it is a file)
        self._seen = (0, 0)  # (dropped blocks, device overflows) already reported
        self._checked = 0.0
        self._buffer = b""  # typed bytes not yet ended by a newline
        self._ended = False  # standard input reached its end (or is none): no more typed lines

    def report_drops(self, every: float = 1.0) -> None:
        """Audio dropped because the loop fell behind (CPU load): counted, logged, and in the events."""
        now = time.monotonic()
        if now < self._checked + every:
            return
        self._checked = now
        dropped, overflows = getattr(self.mic, "dropped", 0), getattr(self.mic, "overflows", 0)
        if (dropped, overflows) != self._seen:
            log.warning("fell behind the microphone: %d audio blocks dropped, %d device overflows so far",
                        dropped, overflows)
            self.events.write(event="audio dropped", dropped=dropped, overflows=overflows,
                              new=dropped - self._seen[0])
            self._seen = (dropped, overflows)

    def reconnect(self, problem: Exception) -> None:
        """Say once that the device is lost, then try to open it again until it returns (or the loop stops)."""
        fd = self._stdin_fd()
        log.warning("%s; trying again every %g s%s", problem, self.retry,
                    "; meanwhile, type what you would say" if fd is not None and os.isatty(fd) else "")
        self.events.write(event="microphone lost", problem=str(problem))
        self.mic.close()
        while not self._wait(self.retry):
            try:
                with native_stderr_quiet():
                    self.mic.open()
            except AudioUnavailable:
                continue
            log.warning("the microphone is back")
            self.events.write(event="microphone back")
            return

    # -- typed lines, while the microphone is lost ------------------------------------------------
    def _stdin_fd(self) -> int | None:
        if self.typed is None or self._ended:
            return None
        try:
            return (self.stdin or sys.stdin).fileno()
        except (AttributeError, OSError, ValueError):  # no standard input (a test runner's stand-in)
            self._ended = True
            return None

    def _wait(self, seconds: float) -> bool:
        """Wait `seconds`, answering lines typed meanwhile; True once the loop is stopping."""
        deadline = time.monotonic() + seconds
        while (fd := self._stdin_fd()) is not None:
            left = deadline - time.monotonic()
            if self.stopping.is_set() or left <= 0:
                return self.stopping.is_set()
            try:
                readable, _, _ = select.select([fd], [], [], min(left, 0.25))
                data = os.read(fd, 4096) if readable else None
            except OSError:
                data = b""
            if data == b"":  # its end (nohup and services give /dev/null): no typing here
                self._ended = True
            elif data:
                self._buffer += data
                *lines, self._buffer = self._buffer.split(b"\n")
                for line in lines:
                    text = " ".join(line.decode("utf-8", "replace").split())[:1000]
                    if text and not self.stopping.is_set():
                        self.typed(text)
        return self.stopping.wait(max(0.0, deadline - time.monotonic()))
