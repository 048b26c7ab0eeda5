"""Speaking replies and pacing breathing breaks: the speech renderer plus an audio player.

Replies play without blocking: the first part is rendered and starts sounding at once, the
rest is laid on the same timeline while it plays, and `stop()` silences it within one audio
block. With `--out`, the same timeline is written to a WAV instead.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from assistant.audio import write_wav
from assistant.dialogue.content import Content
from assistant.messages import Reply
from assistant.speaking import breathing
from assistant.speaking.layout import lay_part, lay_text, opening, spoken_parts
from assistant.speaking.playback import Player, Timeline
from assistant.speaking.renderer import Renderer, VoiceSettings, rate_for

log = logging.getLogger(__name__)

OUT_RATE = 22050  # hertz: the rate of espeak-ng and of medium Piper voices, so speech is not resampled
LOOKAHEAD = 2.5  # seconds: the next part of a reply is rendered once playback is this close to it
WARM_IDLE = 3.0  # warming rests this many times as long as each render took
MARGIN = 0.15  # seconds: a part rendered too late to start on time starts this soon after now (past the output buffer)


def openings(content: Content) -> list[str]:
    """The first part (as `say` renders it alone) of each section, each unsafe form, each fixed
    response and the safety message: what a reply's first sound waits for."""
    sections = [*content.steps, *content.topics.values(), content.overview, content.time_out]
    texts = [s.parts[0] for s in sections if s.parts] + [s.when_unsafe[0] for s in sections if s.when_unsafe]
    texts += [v for variants in content.responses.values() for v in variants if "{" not in v]
    texts += list(content.safety_message[:1])
    return list(dict.fromkeys(w for w in (opening(spoken_parts(t))[0][0] for t in texts) if w))


class Speaker:
    def __init__(self, renderer: Renderer, player: Player | None, settings: VoiceSettings = VoiceSettings(),
                 content: Content | None = None) -> None:
        self.renderer = renderer
        self.player = player
        self.settings = settings
        self.content = content
        self._worker: threading.Thread | None = None
        self.first_audio_s: float | None = None  # render + playback start of the last reply
        self._closed = threading.Event()
        self._reply = 0  # which reply is current; the rest of an older one is no longer rendered
        self._first_words = threading.Event()  # set while a reply's first part renders: warming waits
        self._warming: threading.Thread | None = None
        self.warmed = 0  # reply openings rendered ahead by warm()

    # -- timelines ------------------------------------------------------------------------
    def timeline(self, text: str, multiple: float = 1.0) -> Timeline:
        timeline = Timeline(OUT_RATE)
        lay_text(timeline, 0.0, text, self.renderer, rate_for(self.settings, multiple))
        return timeline.close()

    def breathing_timeline(self, pattern: str, cycles: int, tones: bool, multiple: float = 1.0,
                           on_intro=None) -> tuple[Timeline, list[breathing.Cue]]:
        if self.content is None:
            raise ValueError("a Speaker needs content to pace a breathing break")
        return breathing.build(self.content, pattern, cycles, self.renderer, rate_for(self.settings, multiple),
                               tones=tones, out_rate=OUT_RATE, on_intro=on_intro)

    @staticmethod
    def write(path: Path, timeline: Timeline) -> None:
        write_wav(Path(path), timeline.render())

    # -- live -----------------------------------------------------------------------------
    def say(self, text: str, multiple: float = 1.0) -> None:
        """Start speaking `text` (pause marks honoured); returns once the first words sound.
        Sentence by sentence: the first (its first clause, when long) is rendered alone and
        plays while the rest render."""
        assert self.player is not None
        self.stop()
        self._reply += 1
        reply = self._reply
        started = time.perf_counter()
        rate = rate_for(self.settings, multiple)
        parts = opening(spoken_parts(text))
        timeline = Timeline(OUT_RATE)
        words, pause = parts[0]
        self._first_words.set()
        try:
            t = lay_part(timeline, 0.0, words, self.renderer, rate) + pause
        finally:
            self._first_words.clear()
        self.player.play(timeline)
        playing = time.perf_counter()
        self.first_audio_s = playing - started

        def lay_rest() -> None:
            at = t
            for words, pause in parts[1:]:
                # just in time: a reply cut short is not rendered to its end, and the renderer is
                # free at once for the next reply's first words
                while at - (time.perf_counter() - playing) > LOOKAHEAD and self._current(reply):
                    time.sleep(0.05)
                if not self._current(reply):
                    break
                at = max(at, time.perf_counter() - playing + MARGIN)  # never laid where playback has passed
                at = lay_part(timeline, at, words, self.renderer, rate) + pause
            timeline.close()

        self._background(lay_rest)

    def warm(self, multiple: float = 1.0, idle: float = WARM_IDLE) -> threading.Thread | None:
        """Render the opening words of everything the content can answer, once, in the
        background, so a reply's first sound waits for no rendering (the session cache keeps
        them). It gives way to a reply being started, and rests `idle` times as long as each
        render took. Returns the thread (None without content)."""
        if self.content is None:
            return None
        rate = rate_for(self.settings, multiple)

        def run() -> None:
            for words in openings(self.content):
                while self._first_words.is_set() and not self._closed.is_set():
                    time.sleep(0.01)
                if self._closed.is_set():
                    return
                spent = time.perf_counter()
                try:
                    self.renderer.render(words, rate)
                except Exception:  # noqa: BLE001 - warming is an optimisation; a reply will say what failed
                    return
                self.warmed += 1
                # a quarter of a core at most: listening and decoding come first
                self._closed.wait(idle * (time.perf_counter() - spent))

        self._warming = threading.Thread(target=run, name="assistant-warm", daemon=True)
        self._warming.start()
        return self._warming

    def _current(self, reply: int) -> bool:
        """Whether reply number `reply` is still the one being spoken."""
        return not self._closed.is_set() and self._reply == reply and (self.player is None or self.player.playing)

    def breathe(self, pattern: str, cycles: int, tones: bool = False, multiple: float = 1.0) -> None:
        """Start a paced breathing break; returns once the intro sounds."""
        assert self.player is not None
        self.stop()
        self._reply += 1
        started = time.perf_counter()
        ready = threading.Event()

        def on_intro(timeline: Timeline) -> None:
            self.player.play(timeline)
            self.first_audio_s = time.perf_counter() - started
            ready.set()

        self._background(lambda: self.breathing_timeline(pattern, cycles, tones, multiple, on_intro))
        ready.wait(timeout=30)

    def speak_reply(self, reply: Reply, multiple: float = 1.0, tones: bool = False) -> None:
        if reply.breathing is not None:
            self.breathe(reply.breathing.pattern, reply.breathing.cycles, tones, multiple)
        else:
            self.say(reply.text, multiple)

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    def close(self) -> None:
        """Stop speaking and release the output stream and the speech workers."""
        self._closed.set()  # a reply still being rendered in the background stops there
        self.stop()
        if self.player is not None:
            self.player.close()
        if self._warming is not None:
            self._warming.join(timeout=5)  # its render in flight ends before the engine goes
        self.renderer.close()

    def wait(self, timeout: float | None = None) -> bool:
        if self._worker is not None:
            self._worker.join(timeout)
        return self.player.wait(timeout) if self.player is not None else True

    @property
    def speaking(self) -> bool:
        return self.player is not None and self.player.playing

    def _background(self, work) -> None:
        def run() -> None:
            try:
                work()
            except Exception:  # noqa: BLE001 - a failed render must not kill the session
                if not self._closed.is_set():  # after close() the renderer refuses: that is the end
                    log.exception("speaking failed")
                self.stop()

        self._worker = threading.Thread(target=run, name="assistant-speaker", daemon=True)
        self._worker.start()
