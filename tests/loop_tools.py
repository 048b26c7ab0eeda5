"""Driving the voice loop in-process: real speech (Piper's joe voice or espeak-ng) as microphone
frames, and a loop run on its thread until the events say it has done what a test waits for."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time

import numpy as np

from assistant.audio import Audio, read_wav, resample


def espeak(text: str, path, voice: str = "en-us", wpm: int = 150) -> Audio:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True)
    return read_wav(path)


def espeak_pcm(text: str, folder) -> np.ndarray:
    """`text` spoken by espeak-ng as 16 kHz int16, what the microphone delivers."""
    return (resample(espeak(text, folder / "say.wav"), 16000).samples * 32767).astype(np.int16)


def piper_pcm(text: str, variant: str = "joe") -> np.ndarray:
    """`text` said by the Piper voice (a variant of scripts/speech_material.py) as 16 kHz int16."""
    from speech_material import pcm, piper_say

    return pcm(piper_say(text, variant))


class SpokenMic:
    """Delivers real speech in 30 ms frames (0.5 s of silence first, 2 s after each utterance),
    then silence. It injects no fault; subclasses do."""

    def __init__(self, *pcm: np.ndarray) -> None:
        from assistant.hearing.capture import CaptureSettings

        self.settings = CaptureSettings()
        audio = np.concatenate([np.zeros(8000, np.int16)] + [np.concatenate([p, np.zeros(32000, np.int16)])
                                                             for p in pcm])
        audio = np.concatenate([audio, np.zeros(-len(audio) % 480, dtype=np.int16)])
        self.frames = list(audio.reshape(-1, 480))

    def read(self, timeout: float = 0.5):
        return self.frames.pop(0) if self.frames else np.zeros(480, dtype=np.int16)

    def open(self) -> None: ...
    def close(self) -> None: ...
    def flush(self) -> None: ...


def run_until(loop, log: io.StringIO, done, timeout: float = 30, ready_text: str | None = None) -> list[dict]:
    """Run `loop` on a thread until done(events) or `timeout` seconds; stop it; the events."""
    thread = threading.Thread(target=loop.run, args=(ready_text,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done([json.loads(line) for line in log.getvalue().splitlines()]):
            break
        time.sleep(0.05)
    loop.stopping.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    return [json.loads(line) for line in log.getvalue().splitlines()]
