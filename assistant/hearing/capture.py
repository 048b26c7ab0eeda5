"""Audio capture: the microphone through sounddevice, 16 kHz mono, small blocks, a bounded queue.

The device may not do 16 kHz (it is then opened at its own rate and resampled), may be busy,
missing, or unplugged mid-stream: each is a clear message, and `read()` reports a lost device
as an AudioUnavailable so the loop can say so and try again, never hang.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from assistant.audio import Audio, find_device, resample
from assistant.errors import AudioUnavailable
from assistant.hearing.sampleclock import SampleClock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureSettings:
    rate: int = 16000  # hertz delivered to the endpointer and recognizer
    block: float = 0.03  # seconds per block (the endpointer's frame)
    queue_seconds: float = 10.0  # seconds of audio held before the oldest blocks are dropped
    input_device: str | int | None = None  # sounddevice name or index; None = the system's
    clock_tolerance: float = 0.02  # seconds a block's stamp may stray from the sample clock before it is believed


class Microphone:
    def __init__(self, settings: CaptureSettings = CaptureSettings()) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:
            raise AudioUnavailable(f"no audio library ({exc}); install libportaudio2 (`make setup`)") from None
        self._sd = sd
        self.settings = settings
        self.device = find_device(settings.input_device, "input")
        self.block = round(settings.block * settings.rate)
        self._queue: queue.Queue[tuple[float, np.ndarray]] = queue.Queue(maxsize=max(1, round(settings.queue_seconds / settings.block)))
        self.dropped = 0  # blocks dropped because the queue was full (CPU overload)
        self.overflows = 0  # times the device had more audio than was read in time
        self.device_rate = settings.rate
        self._stream = None
        self._lost = threading.Event()
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_at = 0.0  # perf_counter time the first pending sample was captured
        self.clock = SampleClock(settings.clock_tolerance)  # when each block was captured, by its sample count
        self.captured_at = 0.0  # perf_counter time the first sample of the last block read was captured

    def open(self) -> None:
        sd = self._sd
        try:
            info = sd.query_devices(self.device if self.device is not None else sd.default.device[0], "input")
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioUnavailable(f"no microphone ({exc}); `assistant devices` lists the input devices") from None
        self._lost.clear()
        self.clock.reset()
        last_error: Exception | None = None
        for rate in (self.settings.rate, int(info["default_samplerate"])):
            try:
                self._stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32", device=self.device,
                                              blocksize=round(self.settings.block * rate), latency="high",
                                              callback=self._callback, finished_callback=self._lost.set)
                self._stream.start()
                self.device_rate = rate
                if rate != self.settings.rate:
                    log.info("microphone opened at %d Hz; resampling to %d Hz", rate, self.settings.rate)
                return
            except sd.PortAudioError as exc:
                last_error = exc
        busy = "busy" in str(last_error).lower() or "unavailable" in str(last_error).lower()
        raise AudioUnavailable(f"cannot open the microphone {info['name']!r} ({last_error})"
                               + ("; another program may be using it" if busy else "")) from None

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except self._sd.PortAudioError:
                pass

    def _callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        behind = time_info.currentTime - time_info.inputBufferAdcTime
        behind = behind if 0 <= behind < 1 else 0.0  # some hosts give no times
        item = (time.perf_counter() - behind - frames / self.device_rate * (behind == 0), indata[:, 0].copy())
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            try:
                self._queue.get_nowait()  # keep the newest audio: drop the oldest block
                self._queue.put_nowait(item)
            except (queue.Empty, queue.Full):
                pass

    def flush(self) -> None:
        """Forget everything captured so far (e.g. the assistant's own voice)."""
        while True:
            try:
                at, raw = self._queue.get_nowait()
            except queue.Empty:
                break
            self._stamp(at, len(raw))  # the sample clock runs on: a new anchor would jitter by ms each turn
        self._pending = np.zeros(0, dtype=np.float32)

    def _stamp(self, at: float, samples: int) -> float:
        """When a block's first sample was captured: by the sample clock (sampleclock.py), since
        the callback's own stamps jitter by a few ms and the echo canceller would then be handed
        a reference spliced every few frames."""
        return self.clock.stamp(at, samples, self.device_rate)[0]

    def read(self, timeout: float = 0.5) -> np.ndarray | None:
        """One block of `settings.block` seconds at `settings.rate`, as int16; None on timeout."""
        deadline = time.monotonic() + timeout
        while len(self._pending) < self.block:
            if self._lost.is_set() and self._queue.empty():
                raise AudioUnavailable("the microphone stopped delivering audio (unplugged?)")
            try:
                at, raw = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            at = self._stamp(at, len(raw))
            if self.device_rate != self.settings.rate:
                raw = resample(Audio(raw, self.device_rate), self.settings.rate).samples
            if not len(self._pending):
                self._pending_at = at
            self._pending = np.concatenate([self._pending, raw])
        block, self._pending = self._pending[: self.block], self._pending[self.block:]
        self.captured_at = self._pending_at
        self._pending_at += self.block / self.settings.rate
        return (np.clip(block, -1, 1) * 32767).astype(np.int16)
