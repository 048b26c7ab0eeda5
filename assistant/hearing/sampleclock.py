"""When an audio block's first sample sounded (the speaker) or was captured (the microphone), for
the echo canceller, which needs the two lined up to a fraction of a millisecond.

An audio callback's own stamp jitters by a few ms (when its thread got to run); counting samples
from an anchor does not. In the room rig the two devices' sample counts keep a constant lag, to
the sample, for minutes; their stamps drift from the counts by about 100 ppm (20 ms in 4
minutes), and not by the same amount. So the clock counts samples, and the stamps only anchor it:
- re-anchoring a clock whose stamps strayed 20 ms moved the echo's delay by 20 ms at once: the
  canceller lost its echo for seconds each time;
- slewing each clock towards its smoothed stamps (20 us a block) made the echo's delay wander by
  +-0.3 ms within seconds, and following the stamps' fitted rate by 16 ms in 5 minutes:
  speexdsp's linear canceller, which the recogniser hears over its voice, then took out 5-9 dB
  of its voice instead of 24 (live frames, replayed).
A stamp strays when it is further than the tolerance from the line fitted through the stamps
(over about a minute: their slow drift is not a stray); three strays in a row are a jump (an
underrun, blocks dropped, a stream reopened; one late callback is not), and the clock starts
again on the stamp. Two devices with clocks of their own (a USB microphone) do drift apart;
WebRTC's canceller finds the moving delay itself (echo.py)."""

from __future__ import annotations


class SampleClock:
    WINDOW = 60.0  # seconds of stamps the line is fitted over (exponentially forgotten)
    SETTLE = 5.0  # seconds of stamps before the fitted line is used (until then, the count)

    def __init__(self, tolerance: float = 0.02) -> None:
        self.tolerance = tolerance  # seconds a stamp may stray from the line before it counts towards a jump
        self.jumps = 0  # times it re-anchored on the stamps after running
        self.reset()

    def reset(self) -> None:
        """Forget the anchor: the next stamp starts the clock (a stream opened)."""
        self.next: float | None = None  # when the next block's first sample sounds (or was captured)
        self._rate = 0
        self._strays = 0  # blocks in a row whose stamps strayed past the tolerance
        self._anchor = 0.0  # the stamp the clock started on
        self._counted = 0.0  # seconds of samples since the anchor
        self._sums = [0.0] * 5  # exponentially weighted n, x, y, xx, xy of (counted, stamp - anchor - counted)

    def stamp(self, at: float, samples: int, rate: int) -> tuple[float, bool]:
        """A block of `samples` at `rate` whose callback stamped it `at`: when its first sample
        was, by the sample clock, and whether the clock was (re)started on this stamp."""
        strays = self.next is not None and abs(at - self.expected()) > self.tolerance
        self._strays = self._strays + 1 if strays else 0
        started = self.next is None or self._strays >= 3 or rate != self._rate
        if started:
            self.jumps += self.next is not None
            self.reset()
            self.next, self._rate, self._anchor = at, rate, at
        elif not strays:
            self._fit(at, samples / rate)
        first = self.next
        self._counted += samples / rate
        self.next = self._anchor + self._counted
        return first, started

    def expected(self) -> float:
        """Where the stamps' fitted line puts the next block (the count, until it has settled)."""
        n, sx, sy, sxx, sxy = self._sums
        spread = n * sxx - sx * sx
        if self.next is None or spread <= 0 or self._counted - sx / max(n, 1) < self.SETTLE / 2:
            return self.next or 0.0
        slope = (n * sxy - sx * sy) / spread
        return self.next + (sy + slope * (n * self._counted - sx)) / n

    def _fit(self, at: float, block: float) -> None:
        keep = 1 - block / self.WINDOW
        x, y = self._counted, at - self._anchor - self._counted
        s = self._sums
        for i, v in enumerate((1.0, x, y, x * x, x * y)):
            s[i] = s[i] * keep + v
