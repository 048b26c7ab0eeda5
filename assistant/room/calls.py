"""A time-out's calls said the moment they are due, in every front end (voice loop, chat, timeout).

The timer calls from its own thread. `Calls` turns each call into the dialogue's words
(`Dialogue.time_up`) and hands them to the front end's own `answer`, holding `lock`: the front
end's turns take the same lock, so a call never lands in the middle of a turn (it waits for that
turn's reply to start, then stops it). Whatever is playing is stopped; the return prompt comes
after a soft chime. With an events log, each call is one line: when it was due, when it sounded.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from assistant.audio import tone
from assistant.dialogue.timer import Call
from assistant.messages import Reply
from assistant.speaking.playback import AudioUnavailable, Timeline
from assistant.speaking.speaker import OUT_RATE

CHIME = ((660.0, 0.0, 0.45), (880.0, 0.3, 0.7))  # (hertz, start s, length s): a soft rising two-note chime
CHIME_LEVEL = 0.2  # peak amplitude, 0-1 (speech peaks near 0.5)


def chime_timeline(rate: int = OUT_RATE) -> Timeline:
    timeline = Timeline(rate)
    for hertz, at, seconds in CHIME:
        timeline.add(at, tone(hertz, seconds, rate, CHIME_LEVEL))
    return timeline.close()


def ring(speaker) -> float:
    """Stop what the speaker plays, sound the chime and wait for it to end; returns when it began
    (time.monotonic)."""
    speaker.stop()
    began = time.monotonic()
    speaker.player.play(chime_timeline())
    speaker.player.wait(timeout=3)
    return began


class Calls:
    def __init__(self, dialogue, answer: Callable[[Reply], object], speaker: Callable[[], object] = lambda: None,
                 events=None, words: Callable[[Call], Reply] | None = None) -> None:
        self.dialogue = dialogue
        self.words = words or dialogue.time_up  # what a call says
        self.answer = answer  # the front end's way of saying a reply (print, speak)
        self.speaker = speaker  # the Speaker now in use, or None (printed only)
        self.events = events  # the voice loop's Events, or None
        self.lock = threading.RLock()
        self.calls: list[dict] = []  # what was called and when (time.monotonic), for tests and the bench

    def __enter__(self) -> "Calls":
        self.dialogue.timer.notify = self.call
        return self

    def __exit__(self, *exc) -> None:
        self.dialogue.timer.notify = None

    def call(self, call: Call) -> None:
        real = self.dialogue.timer.clock.real
        if call.kind == "started":
            self._log(event="time-out started", minutes=call.time_out.minutes, due_at=round(real(call.scheduled), 3))
            return
        with self.lock:
            reply = self.words(call)
            speaker = self.speaker()
            chime_at = None
            if call.kind == "due" and speaker is not None and getattr(speaker, "player", None) is not None:
                try:
                    chime_at = ring(speaker)
                except AudioUnavailable:
                    pass  # answer() finds the output gone and says so
            elif speaker is not None:
                speaker.stop()
            self.answer(reply)
        self._log(event=f"time-out {call.kind}", minutes=call.time_out.minutes,
                  scheduled_at=round(real(call.scheduled), 3), fired_at=round(real(call.fired), 3),
                  chime_at=None if chime_at is None else round(chime_at, 3))

    def _log(self, **record) -> None:
        self.calls.append(record)
        if self.events is not None:
            self.events.write(**record)
