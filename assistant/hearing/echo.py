"""Echo cancellation: the microphone hears the assistant's own voice; take it back out.

The loop knows exactly what it plays. The player hands every block it sends to the speaker to
a `Reference`, stamped with the time it will sound; the microphone stamps every block with the
time it was captured. For each 30 ms microphone frame, the reference that sounded at that
moment is looked up and a canceller subtracts its echo (the room's delay and colouring, which
it learns as it goes). Two cancellers, measured in BENCHMARKS.md (section `room`):

- `webrtc`: WebRTC's AEC3 (`pywebrtc-audio`), the one browsers use, with its own delay
  estimator: the default. It subtracts, then suppresses what it could not subtract.
- `speex`: speexdsp's multi-delay filter (Debian's `libspeexdsp1`, through ctypes): it only
  subtracts. With `webrtc`, it runs beside it on the same frames, and its output is what the
  recogniser hears while the speaker sounds (EchoFilter.heard): a word said over the
  assistant's voice keeps its first sounds, which WebRTC's suppressor takes.

A canceller that cannot start is one warning line, and the loop runs on without it. Five seconds
after its voice last sounded the cancellers rest (frames pass untouched): idle costs little.
"""

from __future__ import annotations

import ctypes.util
import logging
import time
from collections import deque
from typing import Protocol

import numpy as np

from assistant.errors import EchoError
from assistant.hearing.reference import RATE, Reference

log = logging.getLogger(__name__)

CANCELLERS = ("webrtc", "speex", "off")


class Canceller(Protocol):
    name: str

    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray: ...  # int16 in, int16 out, same length


class WebRtcCanceller:
    """WebRTC AEC3 through pywebrtc-audio: finds the echo's delay itself (it drifts)."""

    name = "webrtc"

    def __init__(self, rate: int = RATE) -> None:
        try:
            from pywebrtc_audio import EchoCanceller
        except ImportError as exc:
            raise EchoError(f"echo canceller webrtc: pywebrtc-audio is not installed ({exc}); "
                            "run `make setup`, or pass --echo-cancel speex or off") from None
        self._aec = EchoCanceller(sample_rate=rate, num_channels=1, stream_delay_ms=0)

    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        return self._aec.process(near, far)


class SpeexCanceller:
    """speexdsp's echo canceller (libspeexdsp.so.1 through ctypes), 10 ms frames, a 300 ms tail."""

    name = "speex"

    def __init__(self, rate: int = RATE, frame: int = 160, tail: float = 0.3) -> None:
        lib = None
        for candidate in ("libspeexdsp.so.1", ctypes.util.find_library("speexdsp")):
            if not candidate:
                continue
            try:
                lib = ctypes.CDLL(candidate)
                break
            except OSError:
                continue
        if lib is None or not hasattr(lib, "speex_echo_state_init"):
            raise EchoError("echo canceller speex: libspeexdsp.so.1 not found; install libspeexdsp1 "
                            "(`make setup`), or pass --echo-cancel webrtc or off")
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(ctypes.c_int16)] * 3
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self.frame = frame
        self._state = lib.speex_echo_state_init(frame, round(tail * rate))
        sample_rate = ctypes.c_int(rate)
        lib.speex_echo_ctl(self._state, 24, ctypes.byref(sample_rate))  # SPEEX_ECHO_SET_SAMPLING_RATE

    def process(self, near: np.ndarray, far: np.ndarray) -> np.ndarray:
        near = np.ascontiguousarray(near, dtype=np.int16)
        far = np.ascontiguousarray(far, dtype=np.int16)
        out = np.empty_like(near)
        ptr = ctypes.POINTER(ctypes.c_int16)
        for i in range(0, len(near) - self.frame + 1, self.frame):
            n, f, o = near[i:i + self.frame], far[i:i + self.frame], out[i:i + self.frame]
            self._lib.speex_echo_cancellation(self._state, n.ctypes.data_as(ptr), f.ctypes.data_as(ptr),
                                              o.ctypes.data_as(ptr))
        rest = len(near) % self.frame
        if rest:
            out[-rest:] = near[-rest:]
        return out

    def __del__(self) -> None:
        state, self._state = getattr(self, "_state", None), None
        if state:
            self._lib.speex_echo_state_destroy(state)


def make_canceller(name: str, rate: int = RATE) -> Canceller | None:
    """The canceller called `name` (None for "off"); an EchoError when it cannot start."""
    if name == "off":
        return None
    if name == "webrtc":
        return WebRtcCanceller(rate)
    if name == "speex":
        return SpeexCanceller(rate)
    raise EchoError(f"unknown echo canceller {name!r}; choose one of {', '.join(CANCELLERS)}")


class EchoFilter:
    """Removes the reference's echo from microphone frames, frame by frame (int16 at 16 kHz).

    What the canceller leaves of the echo is quiet, but speech-like, and voice activity detection
    hears words in it (each breathing cue's first 50-100 ms leaks, and the cues come once a
    second, so an utterance never ended). So while the speaker sounds (and for a second after,
    the room's tail), a frame counts as someone talking only if what the canceller left is
    `above` times louder than the room's own noise (the 20th percentile of the microphone's level
    while nothing plays): `echo_only` says when it is not, and the endpointer takes the frame for
    silence; so is a frame the canceller took most of (under `suppress` of its input). A person
    saying "stop" is 20-30 dB above the room; the residue is not.

    What the recogniser hears while the speaker sounds comes from a second, `linear` canceller
    (speexdsp's, which only subtracts its estimate of the echo) when there is one: WebRTC's also
    suppresses what it cannot subtract, and over its voice that takes the first 100-200 ms of a
    word said to it ("stop" was heard as "op", "up", "what"). `heard` is that frame."""

    def __init__(self, canceller: Canceller, reference: Reference, above: float = 4.0,
                 hold: float = 1.0, suppress: float = 0.35, linear: Canceller | None = None,
                 rest: float = 5.0) -> None:
        self.canceller = canceller
        self.linear = linear
        self.heard: np.ndarray | None = None  # the last frame, for the recogniser
        self.levels = (0.0, 0.0)  # the last frame's energy, and what the canceller kept of it
        self.reference = reference
        self.above = above  # times the room's noise level a frame must keep, while playing, to be speech
        self.suppress = suppress  # before the room's noise is known: output/input RMS under which it is echo
        self.echo_only = False  # the last frame was the assistant's own voice (or its residue) and nothing else
        self._playing: deque[bool] = deque(maxlen=max(1, round(hold / 0.03)))
        self.rest = rest  # seconds after its voice last sounded from which the cancellers rest (no echo to take out)
        self._since_sound = rest  # seconds since the reference last sounded
        self.rested = 0  # frames handed on untouched
        self._room: deque[float] = deque(maxlen=300)  # microphone levels while nothing played (about 9 s)
        self._floor = 0.0
        self.frames = 0
        self.suppressed = 0
        names = [c.name for c in (canceller, linear) if c is not None]
        self.cpu = dict.fromkeys(names, 0.0)  # seconds spent in each canceller
        self.energy = dict.fromkeys(["in", *names], 0.0)  # in and out of each, over frames its own voice sounded in

    def __call__(self, frame: np.ndarray, captured_at: float) -> np.ndarray:
        started = time.perf_counter()
        ref = self.reference.at(captured_at, len(frame))
        far = (np.clip(ref, -1, 1) * 32767).astype(np.int16)
        sounding = float(np.abs(far).max(initial=0)) > 30
        self._since_sound = 0.0 if sounding else self._since_sound + len(frame) / RATE
        if self._since_sound >= self.rest:  # nothing played for a while: no echo, and idle costs little
            return self._rest(frame)
        out = self.canceller.process(frame, far)
        done = time.perf_counter()
        self.cpu[self.canceller.name] += done - started
        self._playing.append(sounding)
        self.heard = out
        if self.linear is not None:
            linear = self.linear.process(frame, far)  # always: it keeps learning the room
            self.cpu[self.linear.name] += time.perf_counter() - done
            if any(self._playing):
                self.heard = linear
        self.levels = (float(np.sum(frame.astype(np.float64) ** 2)), float(np.sum(out.astype(np.float64) ** 2)))
        if sounding:
            self.energy["in"] += self.levels[0]
            self.energy[self.canceller.name] += self.levels[1]
            if self.linear is not None:
                self.energy[self.linear.name] += float(np.sum(linear.astype(np.float64) ** 2))
        raw = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2)))
        self.echo_only = False
        if any(self._playing):
            left = float(np.sqrt(np.mean(out.astype(np.float32) ** 2)))
            self.echo_only = left < self.above * self._floor or left < self.suppress * raw
            self.suppressed += self.echo_only
        else:
            self._learn_room(raw)
        self.frames += 1
        return out

    def _learn_room(self, raw: float) -> None:
        if raw >= 1.0:  # a block of digital silence (the audio system fell behind) is not the room
            self._room.append(raw)
            if len(self._room) < self._room.maxlen or self.frames % 10 == 0:
                self._floor = float(np.percentile(self._room, 20))

    def _rest(self, frame: np.ndarray) -> np.ndarray:
        """The frame handed on as it is (the room's level still learned), the cancellers not run."""
        self.heard = frame
        energy = float(np.sum(frame.astype(np.float64) ** 2))
        self.levels = (energy, energy)
        self.echo_only = False
        self._playing.append(False)
        self._learn_room(float(np.sqrt(energy / max(1, len(frame)))))
        self.frames += 1
        self.rested += 1
        return frame

    def summary(self) -> dict:
        """How much of its own voice each canceller took out (echo return loss enhancement, dB, over
        the frames it sounded in) and its CPU per second of microphone audio: for `--events`."""
        audio = self.frames * 0.03 or 1.0
        return {"frames": self.frames, "echo_only": self.suppressed, "rested": self.rested,
                "erle_db": {name: round(10 * np.log10(self.energy["in"] / left), 1) if left and self.energy["in"] else None
                            for name, left in self.energy.items() if name != "in"},
                "cpu_ms_per_s": {name: round(seconds / audio * 1000, 2) for name, seconds in self.cpu.items()}}
