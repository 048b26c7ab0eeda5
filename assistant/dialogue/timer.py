"""The time-out timer: one time-out at a time, on a monotonic clock, that calls back when it is due.

A `TimeOutTimer` keeps the one running time-out and a thread of its own that sleeps until the
next moment due (the halfway reminder, when asked for, then the end) and hands a `Call` to
`notify` at that moment, whatever the front end is doing. Starting again replaces the running
time-out; cancelling ends it. The clock is a small Protocol, so tests and the bench run time
faster (`ScaledClock`) instead of waiting minutes. Nothing is written anywhere: when the
process ends, the time-out ends with it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

log = logging.getLogger(__name__)

MIN_MINUTES = 1  # shortest time-out
MAX_MINUTES = 120  # longest time-out (two hours)
DEFAULT_MINUTES = 20  # when no length is said: about how long a flooded body takes to settle


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` of this clock's time, or until `event` is set (then True)."""

    def real(self, at: float) -> float:
        """The time.monotonic() moment at which this clock reads `at` (to compare with sounds)."""


class MonotonicClock:
    """Real time: time.monotonic (never jumps with the wall clock)."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(0.0, seconds))

    def real(self, at: float) -> float:
        return at


class ScaledClock:
    """A monotonic clock that runs `speed` times faster than real time (60: a minute a second)."""

    def __init__(self, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be above 0, got {speed}")
        self.speed = speed
        self.origin = time.monotonic()

    def now(self) -> float:
        return self.origin + (time.monotonic() - self.origin) * self.speed

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(0.0, seconds) / self.speed)

    def real(self, at: float) -> float:
        return self.origin + (at - self.origin) / self.speed


def in_range(minutes: float) -> bool:
    return float(minutes).is_integer() and MIN_MINUTES <= minutes <= MAX_MINUTES


@dataclass(frozen=True)
class TimeOut:
    minutes: int
    started: float  # clock seconds

    @property
    def due(self) -> float:
        return self.started + self.minutes * 60.0


@dataclass(frozen=True)
class Call:
    """A moment of a time-out: "started", "halfway" (the optional reminder) or "due" (the end)."""

    kind: str
    time_out: TimeOut
    scheduled: float  # clock seconds it was due at
    fired: float  # clock seconds it was handed on at


class TimeOutTimer:
    def __init__(self, clock: Clock | None = None, reminder: bool = False) -> None:
        self.clock = clock or MonotonicClock()
        self.reminder = reminder  # also call at the halfway mark
        self.notify: Callable[[Call], None] | None = None  # set by the front end that speaks the calls
        self.ended: TimeOut | None = None  # the last time-out that ran to its end
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._current: TimeOut | None = None
        self._halfway_done = False
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> TimeOut | None:
        return self._current

    def remaining(self) -> float | None:
        """Seconds (of the clock) left of the running time-out; None when none runs."""
        current = self._current
        return None if current is None else max(0.0, current.due - self.clock.now())

    def start(self, minutes: int) -> TimeOut:
        """Start a time-out of `minutes` (MIN_MINUTES to MAX_MINUTES), replacing a running one."""
        if not in_range(minutes):
            raise ValueError(f"a time-out is {MIN_MINUTES} to {MAX_MINUTES} whole minutes, got {minutes}")
        with self._lock:
            if self._closed:
                raise RuntimeError("the timer is closed")
            self._current = TimeOut(int(minutes), self.clock.now())
            self._halfway_done = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="assistant-timer", daemon=True)
                self._thread.start()
            started = self._current
        self._changed.set()
        self._notify(Call("started", started, started.due, started.started))
        return started

    def cancel(self) -> TimeOut | None:
        """End the running time-out without a call; returns it (None when none ran)."""
        with self._lock:
            current, self._current = self._current, None
        self._changed.set()
        return current

    def close(self) -> None:
        with self._lock:
            self._closed, self._current = True, None
        self._changed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _next(self) -> tuple[TimeOut, str, float] | None:
        current = self._current
        if current is None:
            return None
        if self.reminder and not self._halfway_done:
            return current, "halfway", current.started + current.minutes * 30.0
        return current, "due", current.due

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                self._changed.clear()  # under the lock: a start() or cancel() after this sets it again
                upcoming = self._next()
            if upcoming is None:
                self._changed.wait()
                continue
            current, kind, at = upcoming
            if self.clock.wait(self._changed, at - self.clock.now()) or self.clock.now() < at:
                continue  # started again, cancelled or closed meanwhile (or woken early): look again
            with self._lock:
                if self._current is not current or self._closed:
                    continue
                if kind == "halfway":
                    self._halfway_done = True
                else:
                    self._current, self.ended = None, current
            self._notify(Call(kind, current, at, self.clock.now()))

    def _notify(self, call: Call) -> None:
        notify = self.notify
        if notify is not None:
            try:
                notify(call)
            except Exception:  # noqa: BLE001 - a failed call must not stop the timer
                log.exception("the time-out's %s call failed", call.kind)
