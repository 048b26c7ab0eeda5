"""Playing audio through sounddevice: a timeline of clips at exact offsets, stoppable at once.

A `Timeline` holds clips placed at sample offsets; clips may be added while it plays (a
breathing session renders its later cues while the intro is already sounding). The output
stream's callback mixes whatever overlaps each small block, so onsets land on their sample
and `stop()` silences playback within one block.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from typing import Protocol

import numpy as np

from assistant.audio import Audio, find_device
from assistant.errors import AudioUnavailable

log = logging.getLogger(__name__)


@contextlib.contextmanager
def native_stderr_quiet():
    """Silences what the C audio libraries print straight to stderr while a lost device is tried
    again (PortAudio's "Expression ... failed" lines, ALSA's "Unable to connect"): about eight lines
    a try, so a device that never comes back would fill the journal. Python's own log lines wait
    meanwhile (the root logger's handlers are held), so none is lost."""
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.acquire()
    saved = None
    try:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
        except (OSError, ValueError):  # no stderr to silence
            pass
        yield
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
        for handler in reversed(handlers):
            handler.release()


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
    def close(self) -> None: ...
    @property
    def playing(self) -> bool: ...


class SoundDevicePlayer:
    """Plays timelines on an output device, one at a time (a new one replaces the old).

    One output stream stays open and plays silence between replies: opening and closing a
    stream per reply disturbs a microphone stream in the same process (ALSA), and an open
    stream starts the next reply sooner."""

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
        self.device = find_device(device, "output")
        self.blocksize = blocksize
        self.latency = latency
        self._stream = None
        self._rate: int | None = None
        self._timeline: Timeline | None = None
        self._position = 0
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._done.set()
        self.started_at: float | None = None  # perf_counter when the reply's first block was mixed
        self.stopped_at: float | None = None
        self.reference = None  # an echo.Reference told of every block played (silence too), or None
        self.ahead = 0.0  # seconds from a block being mixed to its sounding (the output latency), last seen
        self.underruns = 0  # times the device ran dry (its audio thread was kept waiting): a gap in what it said
        self.failed = False  # the last try to open the device failed: the next tries are not printed by C libraries

    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    def _callback(self, outdata, frames, time_info, status) -> None:  # the audio thread
        if status.output_underflow:
            self.underruns += 1
        with self._lock:
            timeline, position = self._timeline, self._position
            if timeline is None:
                outdata.fill(0)
                self._tell(outdata, time_info)
                return
            if self.started_at is None:
                self.started_at = time.perf_counter()
            self._position = position + frames
            if timeline.closed and self._position >= timeline.length:
                self._timeline = None
                self._done.set()
        outdata[:, 0] = timeline.mix(position, frames)
        self._tell(outdata, time_info)

    def _tell(self, outdata, time_info) -> None:
        """Hand what is being played, and when it will sound, to the echo canceller's reference."""
        reference = self.reference
        if reference is not None:
            ahead = time_info.outputBufferDacTime - time_info.currentTime
            ahead = ahead if 0 <= ahead < 1 else 0.0  # some hosts give no times
            self.ahead = ahead
            reference.played(outdata[:, 0], self._rate, time.perf_counter() + ahead)

    def _on_finished(self) -> None:  # the stream ended on its own: the device failed or vanished
        with self._lock:
            self._stream = None
            self._timeline = None
        self._done.set()

    def open(self, rate: int) -> None:
        """The output stream at `rate`, open (kept open between replies; opened again when the device
        or the sound server dropped it); AudioUnavailable when the device cannot be opened."""
        if self._stream is not None and self._rate == rate and self._stream.active:
            return
        self.close()
        sd = self._sd
        self._rate = rate  # before the first callback, which tells the echo reference the rate
        try:
            with native_stderr_quiet() if self.failed else contextlib.nullcontext():
                stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32", device=self.device,
                                         blocksize=self.blocksize, latency=self.latency, callback=self._callback,
                                         finished_callback=self._on_finished)
                stream.start()
        except sd.PortAudioError as exc:
            self.failed = True
            raise AudioUnavailable(f"cannot play on the output device ({exc})") from None
        self._stream, self._rate, self.failed = stream, rate, False

    def play(self, timeline: Timeline) -> None:
        self.open(timeline.rate)
        with self._lock:
            self._timeline = timeline
            self._position = 0
            self.started_at = None
            self._done.clear()

    def stop(self) -> None:
        with self._lock:
            if self._timeline is not None:
                self.stopped_at = time.perf_counter()
            self._timeline = None
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        self.stop()
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except self._sd.PortAudioError as exc:
                log.warning("audio output error while closing: %s", exc)
