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
        self.sinks = sinks
        # HOME is the server's folder (PulseAudio's cookie and state stay in it); the assistants started
        # here keep the user's cache of expanded intents and embeddings (a cold one costs a minute or more)
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        self.env = dict(os.environ, PULSE_SERVER=f"unix:{self.socket}", PULSE_RUNTIME_PATH=str(folder),
                        HOME=str(folder), XDG_CACHE_HOME=cache)
        self.defaults = {"set-default-sink": sinks[0], "set-default-source": f"{sinks[-1]}.monitor"}
        self.start()

    def start(self) -> None:
        folder, sinks = self.folder, self.sinks
        self.proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
             "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr",
             "-L", f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
             *[arg for sink in sinks for arg in ("-L", f"module-null-sink sink_name={sink}")]],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(folder / "pulse.log", "ab"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {(folder / 'pulse.log').read_text()[-500:]}")
            if self.socket.exists() and self.pactl("info").returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("pulseaudio did not start within 15 s")
        for command, name in self.defaults.items():
            self.pactl(command, name)

    def pactl(self, *args: str) -> subprocess.CompletedProcess:
        if args and args[0] in self.defaults:  # kept: a restarted server gets them again
            self.defaults[args[0]] = args[1]
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, timeout=10)

    def restart(self, down: float = 0.0) -> None:
        """Fault injection: the sound server stops (every stream on it ends) and, `down` seconds later,
        starts again on the same socket with the same sinks and defaults (no stream comes back by itself)."""
        self.stop()
        time.sleep(down)
        self.start()

    def _short(self, kind: str) -> list[list[str]]:
        return [line.split("\t") for line in self.pactl("list", "short", kind).stdout.decode().splitlines()]

    def remove_sink(self, name: str) -> dict:
        """Fault injection: the null sink `name` unplugged. PulseAudio moves the streams on it (and on
        its monitor) to the other sink (source); a loopback pinned to it ends. Returns what was there,
        for return_sink."""
        sinks = {row[1]: row[0] for row in self._short("sinks")}
        sources = {row[1]: row[0] for row in self._short("sources")}
        there = {"inputs": [r[0] for r in self._short("sink-inputs") if r[1] == sinks.get(name)],
                 "outputs": [r[0] for r in self._short("source-outputs") if r[1] == sources.get(f"{name}.monitor")]}
        module = next(r[0] for r in self._short("modules") if r[1] == "module-null-sink" and f"sink_name={name}" in r[2])
        self.pactl("unload-module", module)
        return there

    def return_sink(self, name: str, there: dict) -> None:
        """The null sink `name` plugged back in, and the streams that were on it moved back, as a
        desktop's sound settings do for a device that returns."""
        self.pactl("load-module", "module-null-sink", f"sink_name={name}")
        for stream in there["inputs"]:
            self.pactl("move-sink-input", stream, name)
        for stream in there["outputs"]:
            self.pactl("move-source-output", stream, f"{name}.monitor")
        for command, device in self.defaults.items():
            self.pactl(command, device)

    def streams_of(self, pid: int) -> tuple[list[str], list[str]]:
        """The sink inputs and source outputs process `pid` has open (its playback and its capture)."""
        found = ([], [])
        for k, kind in enumerate(("sink-inputs", "source-outputs")):
            index = None
            for line in self.pactl("list", kind).stdout.decode().splitlines():
                line = line.strip()
                if line.startswith(("Sink Input #", "Source Output #")):
                    index = line.split("#")[1]
                elif line == f'application.process.id = "{pid}"' and index is not None:
                    found[k].append(index)
        return found

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


@contextlib.contextmanager
def sink(name: str):
    """Streams this process opens meanwhile play into the sink called `name` (the ALSA pulse
    plugin reads PULSE_SINK when a stream opens)."""
    old = os.environ.get("PULSE_SINK")
    os.environ["PULSE_SINK"] = name
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PULSE_SINK", None)
        else:
            os.environ["PULSE_SINK"] = old


class Room:
    """A laptop in a living room: what the speaker sink plays comes back into the microphone
    sink (module-loopback from the speaker's monitor, a fixed `delay_ms`, `echo_db` quieter),
    and a steady room noise (pink, `noise_dbfs` RMS) plays into the microphone sink, while the
    test's voice speaks into that same sink."""

    def __init__(self, server: PulseServer, speaker: str = "spk", mic: str = "mic", delay_ms: int = 40,
                 echo_db: float = -6.0, noise_dbfs: float = -48.0) -> None:
        import sounddevice as sd

        self.server = server
        self._loopback = (speaker, mic, delay_ms, echo_db)
        self._loop_back()
        rng = np.random.default_rng(7)
        white = np.fft.rfft(rng.normal(size=22050 * 8))
        pink = np.fft.irfft(white / np.sqrt(np.maximum(1, np.arange(len(white)))), 22050 * 8)
        self.noise = (pink / np.sqrt((pink ** 2).mean()) * 10 ** (noise_dbfs / 20)).astype(np.float32)
        self._at = 0

        def play(outdata, frames, time_info, status):
            idx = (self._at + np.arange(frames)) % len(self.noise)
            outdata[:, 0] = self.noise[idx]
            self._at += frames

        with sink(mic):
            self.stream = sd.OutputStream(samplerate=22050, channels=1, dtype="float32", device="pulse",
                                          blocksize=1024, callback=play)
        self.stream.start()

    def _loop_back(self) -> None:
        server, (speaker, mic, delay_ms, echo_db) = self.server, self._loopback
        loaded = server.pactl("load-module", "module-loopback", f"source={speaker}.monitor", f"sink={mic}",
                              f"latency_msec={delay_ms}", "adjust_time=0", "source_dont_move=true",
                              "sink_dont_move=true")
        if loaded.returncode != 0:
            raise RuntimeError(f"module-loopback: {loaded.stderr.decode().strip()}")
        self.module = loaded.stdout.decode().strip()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the loopback's sink input: set its volume
            inputs = server.pactl("list", "short", "sink-inputs").stdout.decode().splitlines()
            mine = [line.split()[0] for line in inputs if "module-loopback" in line]
            if mine:
                server.pactl("set-sink-input-volume", mine[0], f"{echo_db}dB")
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("module-loopback made no sink input")

    def reconnect(self) -> None:
        """The echo path again after a sink it was pinned to went away and came back (its module ended)."""
        modules = [r.split("\t")[0] for r in self.server.pactl("list", "short", "modules").stdout.decode().splitlines()]
        if self.module not in modules:
            self._loop_back()

    def close(self) -> None:
        try:
            self.stream.stop()
            self.stream.close()
        except Exception:  # noqa: BLE001 - its server went away (a restart): the stream is already gone
            pass
        self.server.pactl("unload-module", self.module)
