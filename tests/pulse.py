"""A private PulseAudio server with a null sink: a virtual speaker whose monitor is a virtual
microphone. Tests speak into it and record from it through sounddevice, for real."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from assistant.audio import Audio

SINK = "coach_out"
RECORD_BLOCK = 256  # frames
RECORD_LATENCY = "low"


class PulseServer:
    def __init__(self, folder: Path, sinks: tuple[str, ...] = (SINK,)) -> None:
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("pulseaudio is not installed; run `make setup`")
        self.folder = folder
        self.socket = folder / "native"
        self.env = dict(os.environ, PULSE_SERVER=f"unix:{self.socket}", PULSE_RUNTIME_PATH=str(folder),
                        HOME=str(folder))
        self.proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
             "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr",
             "-L", f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
             *[arg for sink in sinks for arg in ("-L", f"module-null-sink sink_name={sink}")]],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(folder / "pulse.log", "wb"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {(folder / 'pulse.log').read_text()[-500:]}")
            if self.socket.exists() and self.pactl("info").returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("pulseaudio did not start within 15 s")
        self.pactl("set-default-sink", sinks[0])
        self.pactl("set-default-source", f"{sinks[-1]}.monitor")

    def pactl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, timeout=10)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@contextlib.contextmanager
def serving(folder: Path, sinks: tuple[str, ...] = (SINK,)):
    """A PulseServer that this process's sounddevice talks to, for the duration of the block."""
    server = PulseServer(folder, sinks)
    old = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    import sounddevice as sd

    sd._terminate()  # PortAudio lists devices when initialised: again, now that the server runs
    sd._initialize()
    try:
        yield server
    finally:
        sd._terminate()
        sd._initialize()
        if old is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = old
        server.stop()


class Recorder:
    """Records the null sink's monitor with sounddevice; each block stamped with perf_counter."""

    def __init__(self, rate: int = 22050, device: str = "pulse") -> None:
        import sounddevice as sd

        self.rate = rate
        self.blocks: list[tuple[float, np.ndarray]] = []
        self._lock = threading.Lock()

        def callback(indata, frames, time_info, status):
            with self._lock:
                self.blocks.append((time.perf_counter(), indata[:, 0].copy()))

        self.stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32", device=device,
                                     blocksize=RECORD_BLOCK, latency=RECORD_LATENCY, callback=callback)

    def __enter__(self) -> "Recorder":
        self.stream.start()
        deadline = time.monotonic() + 15  # the ALSA pulse plugin takes a second or two to deliver
        while not self.blocks and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.blocks:
            raise RuntimeError("the recording stream delivered nothing within 15 s")
        time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        self.stream.stop()
        self.stream.close()

    def audio(self) -> Audio:
        with self._lock:
            return Audio(np.concatenate([b for _, b in self.blocks]) if self.blocks else np.zeros(0, np.float32),
                         self.rate)

    def last_sound_at(self, level: float = 0.004) -> float | None:
        """perf_counter time of the end of the last block holding sound."""
        with self._lock:
            loud = [t for t, b in self.blocks if np.sqrt((b ** 2).mean()) > level]
        return loud[-1] if loud else None

    def first_sound_at(self, level: float = 0.004) -> float | None:
        with self._lock:
            loud = [t - len(b) / self.rate for t, b in self.blocks if np.sqrt((b ** 2).mean()) > level]
        return loud[0] if loud else None
