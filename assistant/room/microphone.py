"""The microphone's health, for the voice loop: audio blocks dropped because the loop fell behind
(logged and written to the events), and a lost device waited for until it comes back."""

from __future__ import annotations

import logging
import threading
import time

from assistant.errors import AudioUnavailable

log = logging.getLogger(__name__)


class MicrophoneWatch:
    def __init__(self, mic, events, stopping: threading.Event, retry: float = 1.0) -> None:
        self.mic = mic
        self.events = events
        self.stopping = stopping  # set: stop waiting for a lost device
        self.retry = retry  # seconds between two tries to open a lost device
        self._seen = (0, 0)  # (dropped blocks, device overflows) already reported
        self._checked = 0.0

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
        log.warning("%s; trying again every %g s", problem, self.retry)
        self.events.write(event="microphone lost", problem=str(problem))
        self.mic.close()
        while not self.stopping.wait(self.retry):
            try:
                self.mic.open()
            except AudioUnavailable:
                continue
            log.warning("the microphone is back")
            self.events.write(event="microphone back")
            return
