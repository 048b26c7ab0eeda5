"""Endpointing: where an utterance starts and ends, by voice activity (PocketSphinx's WebRTC-style
VAD, frame by frame). An utterance starts after a short run of speech (so "next" or "stop" is
enough), keeps a little audio from before that run, and ends after a trailing silence. Upset
people pause mid-sentence, so the default silence is long enough not to cut them off, and a
"relaxed" setting waits longer still."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

SILENCE = {"quick": 0.5, "normal": 0.9, "relaxed": 1.5}  # seconds of trailing silence per setting


@dataclass(frozen=True)
class EndpointSettings:
    silence: float = SILENCE["normal"]  # seconds of trailing silence that end an utterance
    start: float = 0.12  # seconds of speech, within `start_window`, that start an utterance
    start_window: float = 0.21  # seconds looked at to decide that speech started
    preroll: float = 0.3  # seconds of audio kept from before the start (soft first sounds)
    echo_preroll: float = 0.6  # the same when the start was heard over its own voice: the echo
    # canceller takes the first 100-200 ms of a word said over it, so speech is found that late
    over_voice_silence: float = 0.3  # seconds of trailing silence that end a short utterance (up to
    # `over_voice_short` s, preroll included) started over its own voice: "stop" is decided then,
    # not after the full window (its partial result often lacks the word its final result has)
    over_voice_short: float = 1.5
    max_utterance: float = 20.0  # seconds: longer speech is ended and decoded anyway
    vad_mode: int = 1  # 0 (loose) to 3 (strict) voice activity detection
    noise_above: float = 2.0  # times the room's noise level (RMS, its 20th percentile over 10 s) a
    # frame must reach to count as speech: the voice detector alone took pink room noise at -48 dBFS
    # for speech two frames in three, some seconds, and "i need a break" then ended 9 s late


class Endpointer:
    """Feed int16 frames of `frame` samples; get speech samples out and learn when it ended."""

    def __init__(self, settings: EndpointSettings = EndpointSettings(), rate: int = 16000) -> None:
        from pocketsphinx import Vad

        self.settings = settings
        self._vad = Vad(settings.vad_mode, rate)
        self.frame = self._vad.frame_bytes // 2  # samples per frame
        self.rate = rate
        seconds = self.frame / rate
        self._window = deque(maxlen=max(1, round(settings.start_window / seconds)))
        self._needed = max(1, round(settings.start / seconds))
        self._preroll: deque[np.ndarray] = deque(maxlen=max(1, round(max(settings.preroll, settings.echo_preroll) / seconds)))
        self._echoed: deque[bool] = deque(maxlen=self._preroll.maxlen)  # each kept frame was its own voice
        self._kept = (max(1, round(settings.preroll / seconds)), max(1, round(settings.echo_preroll / seconds)))
        self._end_frames = max(1, round(settings.silence / seconds))
        self._short_end_frames = max(1, round(settings.over_voice_silence / seconds))
        self._recent: deque[bool] = deque(maxlen=3)
        self._room: deque[float] = deque(maxlen=max(1, round(10 / seconds)))  # frame levels, echo left out
        self._floor = 0.0  # the room's noise level: the 20th percentile of those
        self.time = 0.0  # seconds of audio processed
        self._frame_seconds = seconds
        self.reset()

    def reset(self) -> None:
        """Forget what was half-heard. The voice detector keeps what it learned of the room's
        noise (a new one takes seconds to learn it, and hears speech in the noise meanwhile)."""
        self._window.clear()
        self._preroll.clear()
        self._echoed.clear()
        self._recent.clear()
        self._quiet = 0
        self.in_speech = False
        self.speech_start: float | None = None
        self.speech_end: float | None = None  # when the last speech frame of an utterance ended
        self.over_voice = False  # the utterance started over its own voice (the loop says so)
        self.wait: float | None = None  # seconds of silence that end this utterance, when the end of
        # turn (hearing/turn.py) decided it; None: the window (`silence`)

    @property
    def quiet(self) -> float:
        """Seconds of silence since the utterance's speech last went on (0 while speech goes on)."""
        return self._quiet * self._frame_seconds if self.in_speech else 0.0

    def _loud_enough(self, frame: np.ndarray) -> bool:
        level = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2)))
        self._room.append(level)
        if len(self._room) < self._room.maxlen or round(self.time / self._frame_seconds) % 10 == 0:
            self._floor = float(np.percentile(self._room, 20))
        return level >= self.settings.noise_above * self._floor

    def process(self, frame: np.ndarray, echo: bool = False,
                audio: np.ndarray | None = None) -> tuple[np.ndarray | None, bool]:
        """(speech samples to decode, or None; True when this frame ended an utterance). `echo`:
        the echo canceller found only the assistant's own voice in it, so it is not speech.
        `audio`: what to hand on for this frame when it is not the frame itself (the echo
        filter's `heard`)."""
        frame = frame.astype(np.int16)
        audio = frame if audio is None else audio.astype(np.int16)
        self.time += self._frame_seconds
        # echo would teach the detector a wrong noise floor; every other frame it sees, to keep learning
        voiced = not echo and self._vad.is_speech(frame.tobytes()) & self._loud_enough(frame)
        if not self.in_speech:
            self._window.append(voiced)
            self._preroll.append(audio)
            self._echoed.append(echo)
            if sum(self._window) >= self._needed:
                self.in_speech = True
                self.wait = None
                self._quiet = 0
                kept = list(self._preroll)[-self._kept[any(self._echoed)]:]
                self.speech_start = self.time - len(kept) * self._frame_seconds
                self.speech_end = self.time
                out = np.concatenate(kept)
                self._preroll.clear()
                self._echoed.clear()
                self._window.clear()
                return out, False
            return None, False
        self._recent.append(voiced)
        if voiced and sum(self._recent) >= 2:  # speech goes on: two of the last three frames voiced
            self._quiet = 0
            self.speech_end = self.time
        else:  # a lone voiced frame in the pause is a room's noise (3% of frames in pink noise), not speech
            self._quiet += 1
        start = self.speech_start or self.time
        too_long = self.time - start >= self.settings.max_utterance
        short = self.over_voice and (self.speech_end or self.time) - start <= self.settings.over_voice_short
        ends = self._short_end_frames if short else self._end_frames
        if self.wait is not None and not short:
            ends = max(1, round(self.wait / self._frame_seconds))
        if self._quiet >= ends or too_long:
            self.in_speech = False
            self.over_voice = False
            self.wait = None
            return audio, True
        return audio, False
