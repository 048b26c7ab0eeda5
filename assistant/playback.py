"""Playing audio through sounddevice: a timeline of clips at exact offsets, stoppable at once.

A `Timeline` holds clips placed at sample offsets; clips may be added while it plays (a
breathing session renders its later cues while the intro is already sounding). The output
stream's callback mixes whatever overlaps each small block, so onsets land on their sample
and `stop()` silences playback within one block.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import numpy as np

from assistant.audio import Audio
from assistant.errors import AssistantError

log = logging.getLogger(__name__)


class AudioUnavailable(AssistantError):
    """No usable output device (or input device)."""


class Timeline:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._clips: list[tuple[int, np.ndarray]] = []
        self._lock = threading.Lock()
        self.length = 0  # samples
        self.closed = False  # no more clips will be added

    def add(self, at: float, audio: Audio) -> None:
        if audio.rate != self.rate:
            raise ValueError(f"clip at {audio.rate} Hz on a {self.rate} Hz timeline")
        start = round(at * self.rate)
        with self._lock:
            self._clips.append((start, audio.samples))
            self.length = max(self.length, start + len(audio.samples))

    def close(self) -> "Timeline":
        self.closed = True
        return self

    @property
    def seconds(self) -> float:
        return self.length / self.rate

    def mix(self, start: int, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            clips = list(self._clips)
        for at, samples in clips:
            lo, hi = max(start, at), min(start + n, at + len(samples))
            if lo < hi:
                out[lo - start: hi - start] += samples[lo - at: hi - at]
        np.clip(out, -1, 1, out=out)
        return out

    def render(self) -> Audio:
        return Audio(self.mix(0, self.length), self.rate)


class Player(Protocol):
    def play(self, timeline: Timeline) -> None: ...
    def stop(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    @property
    def playing(self) -> bool: ...


def _device(device: str | int | None, kind: str):
    import sounddevice as sd

    if device is None:
        return None
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    try:
        sd.query_devices(device, kind)
    except (ValueError, sd.PortAudioError) as exc:
        raise AudioUnavailable(f"{kind} device {device!r} not found ({exc}); `assistant devices` lists them") from None
    return device


class SoundDevicePlayer:
    """Plays timelines on an output device; one at a time (a new one stops the old)."""

    def __init__(self, device: str | int | None = None, blocksize: int = 512, latency: str | float = "low") -> None:
        try:
            import sounddevice as sd
        except OSError as exc:  # PortAudio library missing
            raise AudioUnavailable(f"no audio library ({exc}); install libportaudio2 (`make setup`)") from None
        try:
            sd.query_devices(device if device is not None else sd.default.device[1], "output")
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioUnavailable(f"no audio output ({exc})") from None
        self._sd = sd
        self.device = _device(device, "output")
        self.blocksize = blocksize
        self.latency = latency
        self._stream = None
        self._done = threading.Event()
        self._done.set()
        self._stop = threading.Event()
        self.started_at: float | None = None  # perf_counter when the first block was requested
        self.stopped_at: float | None = None

    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    def play(self, timeline: Timeline) -> None:
        self.stop()
        self._done.clear()
        self._stop.clear()
        self.started_at = None
        position = 0
        sd = self._sd

        def callback(outdata, frames, time_info, status):  # audio thread: no allocation-heavy work
            nonlocal position
            if self.started_at is None:
                self.started_at = time.perf_counter()
            if self._stop.is_set():
                outdata.fill(0)
                raise sd.CallbackStop
            outdata[:, 0] = timeline.mix(position, frames)
            position += frames
            if timeline.closed and position >= timeline.length:
                raise sd.CallbackStop

        try:
            self._stream = sd.OutputStream(samplerate=timeline.rate, channels=1, dtype="float32",
                                           device=self.device, blocksize=self.blocksize, latency=self.latency,
                                           callback=callback, finished_callback=self._done.set)
            self._stream.start()
        except sd.PortAudioError as exc:
            self._done.set()
            raise AudioUnavailable(f"cannot play on the output device ({exc})") from None

    def stop(self) -> None:
        if self._stream is None:
            return
        self._stop.set()
        self.stopped_at = time.perf_counter()
        stream, self._stream = self._stream, None
        try:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
        except self._sd.PortAudioError as exc:  # the device vanished: nothing left to stop
            log.warning("audio output error while stopping: %s", exc)
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        finished = self._done.wait(timeout)
        if finished and self._stream is not None:
            self._stream.close(ignore_errors=True)
            self._stream = None
        return finished
