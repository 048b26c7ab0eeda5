"""The room bench's people and devices: `assistant listen` in a child process (as a person runs it:
microphone mic.monitor, speaker spk, `--events`), the person speaking into the microphone sink, and
a level meter on the speaker sink's monitor. The assistant has a process of its own, as it would
in a living room: nothing the bench does in its own process can starve or share its audio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from . import ROOT
from .spoken.audio import render

WALL = time.time() - time.perf_counter()  # perf_counter + WALL: seconds since the epoch, as events carry


class Session:
    """`assistant listen --events FILE` with its defaults, in a child process."""

    def __init__(self, server, folder: Path, name: str, speaker: "SpeakerLevel", *extra: str,
                 events: Path | None = None, stdout: Path | None = None, typing: bool = False) -> None:
        """`events`: its --events file (default: in `folder`); `stdout`: a file for the replies it prints
        (default: none kept); `typing`: its standard input is a pipe the bench can type into (type())."""
        self.events_path, err = events or folder / f"{name}-events.jsonl", folder / f"{name}-stderr.txt"
        self.stdout, self.typing = stdout, typing
        env = dict(server.env, PULSE_SOURCE="mic.monitor", PULSE_SINK="spk", PYTHONUNBUFFERED="1",
                   HOME=os.environ.get("HOME", str(folder)))  # its caches (the intents' embeddings) as a user has them
        self.args = [sys.executable, "-m", "assistant", "listen", "--events", str(self.events_path),
                     "--input-device", "pulse", "--output-device", "pulse", *extra]
        self.env, self.err, self.speaker = env, err, speaker
        self.restarts = 0  # times it ended by itself (a goodbye heard) and was started again
        self._start()

    def _start(self) -> None:
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env,
                                     stdout=open(self.stdout, "ab") if self.stdout else subprocess.DEVNULL,
                                     stderr=open(self.err, "ab"), stdin=subprocess.PIPE if self.typing else subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while "ready in" not in self.err.read_text(errors="replace").split("listen started")[-1]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"assistant listen did not start: {self.err.read_text()[-800:]}")
            time.sleep(0.1)
        self.speaker.wait_sound(started, timeout=max(1.0, deadline - time.monotonic()))  # its greeting
        self.speaker.wait_quiet(timeout=60)

    def ensure_running(self) -> None:
        """A goodbye it heard (or misheard) ends the session: start it again, and count it."""
        if self.proc.poll() is not None:
            self.restarts += 1
            with open(self.err, "a") as f:
                f.write("\nlisten started again\n")
            self._start()

    def type(self, text: str) -> None:
        """A line typed on its standard input (Session(..., typing=True))."""
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def events(self) -> list[dict]:
        if not self.events_path.exists():
            return []
        return [json.loads(line) for line in self.events_path.read_text().splitlines() if line.strip()]

    def turns(self) -> list[dict]:
        return [e for e in self.events() if "turn" in e]

    def wait_turn(self, after: int, timeout: float, intent: str | None = None) -> dict | None:
        """The first turn past the first `after` (with `intent`, when given) within `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            got = [t for t in self.turns()[after:] if intent is None or t["intent"] == intent]
            if got or time.monotonic() > deadline:
                return got[0] if got else None
            time.sleep(0.02)

    def close(self) -> list[dict]:
        """Stop it (SIGTERM: it leaves cleanly); every "session" summary it wrote."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return [e for e in self.events() if e.get("event") == "session"]


class Person:
    """Speaks into the microphone sink through a stream of its own; knows when each clip ended."""

    def __init__(self) -> None:
        import sounddevice as sd

        from tests.pulse import sink

        self._clip: np.ndarray | None = None
        self._at = 0
        self.ended_at: float | None = None
        self._done = threading.Event()
        self._done.set()

        def play(outdata, frames, time_info, status):
            outdata.fill(0)
            clip = self._clip
            if clip is None:
                return
            n = min(frames, len(clip) - self._at)
            outdata[:n, 0] = clip[self._at:self._at + n]
            self._at += n
            if self._at >= len(clip):
                ahead = max(0.0, time_info.outputBufferDacTime - time_info.currentTime)
                self.ended_at = time.perf_counter() + ahead + n / 22050
                self._clip = None
                self._done.set()

        with sink("mic"):
            self.stream = sd.OutputStream(samplerate=22050, channels=1, dtype="float32", device="pulse",
                                          blocksize=1024, latency="high", callback=play)
        self.stream.start()

    def say(self, text: str, voice: str) -> float:
        """Say `text` in `voice`; returns (after it is said) when its last sample sounded, in
        seconds since the epoch."""
        from assistant.audio import trim_silence

        return self.play(trim_silence(render(text, voice)).samples)

    def play(self, samples: np.ndarray) -> float:
        """Play 22,050 Hz `samples`; returns (after) when the last one sounded, in seconds since the epoch."""
        self._done.clear()
        self._at, self._clip = 0, np.asarray(samples, dtype=np.float32)
        self._done.wait(60)
        return (self.ended_at or time.perf_counter()) + WALL

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()


class SpeakerLevel:
    """The level of what the assistant's speaker plays (the spk sink's monitor), block by block."""

    def __init__(self, level: float = 0.004) -> None:
        import sounddevice as sd

        self.level = level
        self.last_sound = 0.0  # perf_counter of the last block with sound
        old = os.environ.get("PULSE_SOURCE")
        os.environ["PULSE_SOURCE"] = "spk.monitor"  # the ALSA pulse plugin reads it when a stream opens

        def callback(indata, frames, time_info, status):
            if np.sqrt(np.mean(indata[:, 0] ** 2)) > self.level:
                self.last_sound = time.perf_counter()

        try:
            self.stream = sd.InputStream(samplerate=16000, channels=1, dtype="float32", device="pulse",
                                         blocksize=480, callback=callback)
            self.stream.start()
        finally:
            if old is None:
                os.environ.pop("PULSE_SOURCE", None)
            else:
                os.environ["PULSE_SOURCE"] = old

    def wait_sound(self, since: float, timeout: float = 10.0) -> bool:
        """Until it sounds after perf_counter time `since` (a reply it was asked for has started)."""
        deadline = time.monotonic() + timeout
        while self.last_sound <= since and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.last_sound > since

    def sounding(self, within: float = 0.5) -> bool:
        return time.perf_counter() - self.last_sound < within

    def wait_quiet(self, quiet: float = 6.0, timeout: float = 180.0) -> bool:
        """Until it has been silent for `quiet` seconds (longer than the pauses in its replies: up to
        3 s, and a part rendered late on a busy machine adds to one; a person speaking in one would
        be talking over it); False if still speaking at `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sounding(quiet):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()
