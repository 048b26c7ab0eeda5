"""The speaker's health, for the voice loop, and the echo cancellers' figures as it goes.

A reply the output device cannot play is printed instead: said once (one log line, one event),
and every later reply is printed too. The device is tried again at most once a `retry` (10 s),
when a reply comes; when it plays again, that is one more line ("speaker back"). The voice itself
(its renderer, the speech cache) is kept meanwhile: only the dead output stream is let go.

Every `every` seconds (10 minutes) of listening, an `"echo"` line in the events: the cancellers'
summary so far (as the session line has it at the end) and the raw energies behind it, so a
reader can take the echo return loss enhancement of any stretch of the evening."""

from __future__ import annotations

import logging
import time

from assistant.speaking.playback import AudioUnavailable
from assistant.speaking.speaker import OUT_RATE

log = logging.getLogger(__name__)

RETRY = 10.0  # seconds between two tries of a lost output device (each try is silent)
ECHO_EVERY = 600.0  # seconds between two "echo" lines in the events


class SpeakerWatch:
    def __init__(self, events, retry: float = RETRY) -> None:
        self.events = events
        self.retry = retry
        self.waiting = None  # the Speaker whose device was lost, until it is tried again
        self.down = False  # the device was lost and has not played since
        self._tried = 0.0

    def speak(self, speaker, reply, rate: float, tones: bool):
        """Start `reply` on `speaker` (None: on the lost one, when it is time to try it again). Returns
        the speaker to use from now on (None: replies are printed) and the seconds to its first audio."""
        speaker = speaker or self.again()
        if speaker is None:
            return None, None
        try:
            if hasattr(speaker.player, "open"):  # the device first: a breathing break starts on a thread
                speaker.player.open(OUT_RATE)
            speaker.speak_reply(reply, rate, tones)
        except AudioUnavailable as exc:
            self.lost(speaker, exc)
            return None, None
        self.played()
        return speaker, speaker.first_audio_s

    def lost(self, speaker, problem: Exception) -> None:
        """`speaker` could not play: print from now on; say so once."""
        if not self.down:
            log.warning("%s; printing replies instead (trying the speaker again at most every %g s)",
                        problem, self.retry)
            self.events.write(event="speaker lost", problem=str(problem))
        self.down, self.waiting, self._tried = True, speaker, time.monotonic()
        try:
            speaker.player.close()  # the dead stream; the next try opens a new one
        except Exception:  # noqa: BLE001 - the device is already gone
            pass

    def again(self):
        """The lost speaker when it is time to try it again, else None."""
        if self.waiting is None or time.monotonic() - self._tried < self.retry:
            return None
        speaker, self.waiting = self.waiting, None
        return speaker

    def played(self) -> None:
        """A reply started on the device: if it had been lost, it is back."""
        if self.down:
            self.down = False
            log.warning("the speaker plays again")
            self.events.write(event="speaker back")


class EchoReport:
    """The cancellers' figures every `every` seconds, and how the two sample clocks the echo path
    lines up stand (their re-anchorings, and how far ahead of now the newest played audio is
    stamped): an evening whose canceller lost its own voice can then be read back."""

    def __init__(self, echo, events, every: float = ECHO_EVERY, mic=None) -> None:
        self.echo = echo  # an echo.EchoFilter, or None
        self.events = events
        self.every = every
        self.mic = mic  # the capture.Microphone, for its clock
        self._due = time.monotonic() + every

    def poll(self) -> None:
        if self.echo is None or time.monotonic() < self._due:
            return
        self._due = time.monotonic() + self.every
        self.events.write(event="echo", **self.echo.summary(),
                          energy={k: round(v) for k, v in self.echo.energy.items()},
                          cpu_s={k: round(v, 3) for k, v in self.echo.cpu.items()}, clocks=self.clocks())

    def clocks(self) -> dict:
        reference = self.echo.reference
        newest = reference.newest_at()
        return {"speaker_jumps": reference.clock.jumps,
                "microphone_jumps": getattr(getattr(self.mic, "clock", None), "jumps", None),
                "newest_played_s": None if newest is None else round(newest - time.perf_counter(), 3)}
