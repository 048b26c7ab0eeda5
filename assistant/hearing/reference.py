"""The echo canceller's reference: what the speaker played, resampled to the microphone's rate and
stamped with the time each sample sounds (echo.py looks it up frame by frame)."""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from assistant.hearing.sampleclock import SampleClock

RATE = 16000  # hertz: the microphone frames the loop reads


class Reference:
    """What the speaker played, kept for a few seconds with the time each sample sounds.

    The player's audio thread calls `played(block, rate, sounds_at)`; the microphone side asks
    `at(t0, n)` for the n samples (at 16 kHz) that sounded from time t0 on. Silence between
    replies (the output stream stays open) is neither filtered nor kept: at() gives zeros where
    nothing sounded. Times come from a sample clock (sampleclock.py), not from each
    block's jittery stamp. Played audio is resampled to 16 kHz with a windowed-sinc filter: the echo
    comes back through the sound system's good resampler; linear interpolation would cap ERLE."""

    TAPS = 16  # filter half-length, in input samples

    def __init__(self, seconds: float = 4.0, rate: int = RATE, tolerance: float = 0.02) -> None:
        self.rate = rate
        self.seconds = seconds
        self.clock = SampleClock(tolerance)  # when each played block sounds, by its sample count
        self._lock = threading.Lock()
        self._blocks: deque[tuple[float, np.ndarray]] = deque()  # (time of the first sample, float32 at `rate`)
        self._count = 0  # input samples since the clock was last started
        self._x = np.zeros(0, np.float32)  # input samples still needed by the filter
        self._x_start = 0  # input sample number of _x[0]
        self._next = 0.0  # input sample position of the next output sample

    def played(self, block: np.ndarray, rate: int, sounds_at: float) -> None:
        """From the audio thread: `block` (float32 at `rate`) starts sounding about `sounds_at`."""
        with self._lock:
            first_sounds, started = self.clock.stamp(sounds_at, len(block), rate)
            if started:
                self._count = 0
                self._x, self._x_start, self._next = np.zeros(0, np.float32), 0, 0.0
            t_anchor = first_sounds - self._count / rate  # when input sample 0 sounded
            self._count += len(block)
            self._x = np.concatenate([self._x, block.astype(np.float32)])
            first = self._next
            out = self._resample(rate)
            if out.any():  # silence is not kept: at() gives zeros where nothing sounded
                self._blocks.append((t_anchor + first / rate, out))
            while self._blocks and self._blocks[0][0] < sounds_at - self.seconds:
                self._blocks.popleft()

    def _resample(self, rate: int) -> np.ndarray:
        if rate == self.rate:
            out, self._x = self._x, np.zeros(0, np.float32)
            self._x_start += len(out)
            self._next = float(self._x_start)
            return out
        step, h = rate / self.rate, self.TAPS
        end = self._x_start + len(self._x) - h  # the filter needs h samples past a position
        positions = np.arange(self._next, end, step)
        if not len(positions):
            return np.zeros(0, np.float32)
        if not self._x.any():  # silence between replies (the stream stays open): no filter to run
            out = np.zeros(len(positions), np.float32)
        else:
            out = self._filter(positions, rate)
        self._next = float(positions[-1] + step)
        keep = max(self._x_start, int(np.floor(self._next)) - h)
        self._x = self._x[keep - self._x_start:]
        self._x_start = keep
        return out

    def _filter(self, positions: np.ndarray, rate: int) -> np.ndarray:
        """The windowed-sinc resampler's output at input `positions`."""
        h = self.TAPS
        cut = min(1.0, 0.95 * self.rate / rate)  # low-pass at 95% of the output's Nyquist, as a fraction of the input's
        base = np.floor(positions).astype(np.int64)
        idx = base[:, None] + np.arange(-h + 1, h + 1)[None, :]
        t = positions[:, None] - idx
        weights = cut * np.sinc(cut * t) * (0.5 + 0.5 * np.cos(np.pi * np.clip(t / h, -1, 1)))
        local = idx - self._x_start
        x = np.where(local >= 0, self._x[np.clip(local, 0, len(self._x) - 1)], 0.0)
        return (x * weights).sum(axis=1).astype(np.float32)

    def newest_at(self) -> float | None:
        """When the newest audio kept starts sounding (perf_counter seconds), None when none is."""
        with self._lock:
            return self._blocks[-1][0] if self._blocks else None

    def at(self, t0: float, n: int) -> np.ndarray:
        """The n samples (float32, 16 kHz) that sounded from time t0; zeros where nothing did."""
        out = np.zeros(n, np.float32)
        with self._lock:
            blocks = list(self._blocks)
        for start, samples in blocks:
            first = round((start - t0) * self.rate)
            lo, hi = max(0, first), min(n, first + len(samples))
            if lo < hi:
                out[lo:hi] = samples[lo - first: hi - first]
        return out
