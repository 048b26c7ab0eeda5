"""When an audio block's first sample sounded (the speaker) or was captured (the microphone), for
the echo canceller, which needs the two lined up to the sample.

An audio callback's own stamp jitters by a few ms (when its thread got to run); counting samples
from an anchor does not. But the device's clock and this machine's drift apart (85 ppm in the
room bench: 20 ms in 4 minutes), and a clock re-anchored once it has strayed 20 ms moves the
echo's delay by 20 ms at once: the canceller lost its echo for seconds each time. So the sample
clock follows the stamps' smoothed difference a little each block (a slow drift the canceller
tracks), and jumps only when three stamps in a row stray past the tolerance (an underrun, a stream
reopened; one late callback is not a jump)."""

from __future__ import annotations


class SampleClock:
    SLEW = 2e-5  # seconds the clock moves per block towards the smoothed stamps, at most
    SMOOTH = 0.02  # weight of each block's stamp in the smoothed difference
    DEAD = 1e-3  # seconds of smoothed difference left alone (the stamps' jitter, averaged)

    def __init__(self, tolerance: float = 0.02) -> None:
        self.tolerance = tolerance  # seconds a stamp may stray before it counts towards a jump
        self.jumps = 0  # times it re-anchored on the stamps after running
        self.reset()

    def reset(self) -> None:
        """Forget the anchor: the next stamp starts the clock (a stream opened)."""
        self.next: float | None = None  # when the next block's first sample sounds (or was captured)
        self._rate = 0
        self._drift = 0.0  # the stamps less the clock, smoothed (seconds)
        self._strays = 0  # blocks in a row whose stamps strayed past the tolerance

    def stamp(self, at: float, samples: int, rate: int) -> tuple[float, bool]:
        """A block of `samples` at `rate` whose callback stamped it `at`: when its first sample
        was, by the sample clock, and whether the clock was (re)started on this stamp."""
        strays = self.next is not None and abs(at - self.next) > self.tolerance
        self._strays = self._strays + 1 if strays else 0
        started = self.next is None or self._strays >= 3 or rate != self._rate
        if started:
            self.jumps += self.next is not None
            self.next, self._rate, self._drift, self._strays = at, rate, 0.0, 0
        elif not strays:
            self._drift += self.SMOOTH * (at - self.next - self._drift)
            if abs(self._drift) > self.DEAD:
                step = max(-self.SLEW, min(self.SLEW, self._drift))
                self.next += step
                self._drift -= step
        first = self.next
        self.next += samples / rate
        return first, started
