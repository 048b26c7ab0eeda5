"""pyttsx3 (espeak-ng), the speech engine that is always there, rendered in a worker process.

pyttsx3 with espeak can hang on repeated runAndWait/save_to_file calls (pyttsx3 issues #126,
#194) and now and then writes an empty WAV. So pyttsx3 renders in a worker process
(`assistant/speaking/tts_worker.py`) with a timeout: a hung or empty render is reported, the
worker restarted, and the line retried once. The worker keeps pyttsx3's prints ("Audio saved to
...") off the protocol channel.
"""

from __future__ import annotations

import json
import logging
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from assistant.audio import Audio, read_wav, trim_silence
from assistant.errors import InputError, SpeechUnavailable
from assistant.speaking.renderer import VoiceSettings, cached_render

log = logging.getLogger(__name__)

EMPTY_WAV = 44  # bytes: a WAV header with no samples


class Pyttsx3Renderer:
    """Renders through pyttsx3 in a worker process; see the module docstring."""

    engine = "pyttsx3"

    def __init__(self, settings: VoiceSettings = VoiceSettings(), cache_size: int = 512,
                 command: list[str] | None = None, max_workers: int = 4) -> None:
        self.settings = settings
        self.command = command  # the worker's command line; tests inject faulty workers here
        self.voice_id: str | None = None
        self._workers: OrderedDict[int, subprocess.Popen] = OrderedDict()  # rate -> worker
        self._max_workers = max_workers
        self._closed = False  # after close(), no worker (or temporary folder) is started again
        self._lock = threading.Lock()  # one request at a time on a worker's pipe (and the cache), whichever thread asks
        self._cache: OrderedDict[tuple[str, int], Audio] = OrderedDict()
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0
        self.restarts = 0
        self._folders: dict[int, str] = {}  # rate -> the worker's temporary folder

    # -- workers: one per speaking rate --------------------------------------------------------
    def start(self, rate: int | None = None) -> subprocess.Popen:
        rate = rate or self.settings.rate
        if self._closed:
            raise SpeechUnavailable("the speech renderer was closed")
        proc = self._workers.get(rate)
        if proc is not None and proc.poll() is None:
            self._workers.move_to_end(rate)
            return proc
        cmd = list(self.command) if self.command else [
            sys.executable, "-m", "assistant.speaking.tts_worker", "--volume", str(self.settings.volume), "--rate", str(rate)]
        if self.settings.voice and self.command is None:
            cmd += ["--voice", self.settings.voice]
        if rate in self._folders:  # the worker at this rate died: its folder goes with it
            shutil.rmtree(self._folders.pop(rate), ignore_errors=True)
        folder = tempfile.mkdtemp(prefix="assistant-tts-")  # removed with the worker, whatever its end
        if self.command is None:
            cmd += ["--folder", folder]
        self._folders[rate] = folder
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, cwd=str(Path(__file__).resolve().parents[2]))
        except OSError as exc:
            shutil.rmtree(self._folders.pop(rate), ignore_errors=True)
            raise SpeechUnavailable(f"cannot start the speech worker ({exc})") from None
        self._workers[rate] = proc
        ok, value = self._receive(proc, max(self.settings.render_timeout, 15.0), "starting the speech engine")
        if not ok:
            self._close(rate)
            raise SpeechUnavailable(f"text-to-speech could not start ({value}); install espeak-ng "
                                    "(`make setup`) or choose another --voice")
        self.voice_id = value
        while len(self._workers) > self._max_workers:
            self._close(next(iter(self._workers)))
        return proc

    def close(self) -> None:
        self._closed = True
        for rate in list(self._workers):
            self._close(rate)

    def _close(self, rate: int) -> None:
        proc = self._workers.pop(rate, None)
        folder = self._folders.pop(rate, None)
        try:
            if proc is not None:
                try:
                    proc.stdin.close()
                    proc.wait(timeout=1)
                except (OSError, subprocess.TimeoutExpired):
                    proc.kill()
                    proc.wait(timeout=2)
                proc.stdout.close()
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _receive(proc: subprocess.Popen, timeout: float, what: str) -> tuple[bool, object]:
        """(True, WAV bytes or voice id) or (False, problem)."""
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            return False, f"{what} took longer than {timeout:g} s"
        line = proc.stdout.readline()
        if not line:
            return False, f"the speech worker exited while {what}"
        header = json.loads(line)
        if not header.get("ok"):
            return False, header.get("error", "unknown error")
        if "voice" in header:
            return True, header["voice"]
        return True, proc.stdout.read(header["bytes"])

    # -- rendering --------------------------------------------------------------------------
    def render(self, text: str, rate: int) -> Audio:
        return cached_render(self, text, rate, self._render_uncached, 22050)

    def _render_uncached(self, text: str, rate: int) -> Audio:
        """Up to two workers (a hang or crash restarts once) and a few re-asks for empty files."""
        failures, empties, problem = 0, 0, ""
        while failures < 2 and empties < 3:
            proc = self.start(rate)
            try:
                proc.stdin.write(json.dumps({"text": text}).encode() + b"\n")
                proc.stdin.flush()
                ok, value = self._receive(proc, self.settings.render_timeout, f"rendering {text[:40]!r}")
            except (OSError, ValueError) as exc:
                ok, value = False, f"the speech worker is gone ({exc})"
            if ok and len(value) > EMPTY_WAV:
                try:
                    audio = trim_silence(read_wav(value, "a rendered line"))
                except InputError:  # a file still being written when the worker gave up waiting
                    audio = Audio(np.zeros(0, dtype=np.float32), 22050)
                if len(audio.samples):
                    return audio
            if ok:  # pyttsx3's known glitch: an empty, partial or silent file; the worker is fine
                empties += 1
                problem = "pyttsx3 wrote an empty WAV"
                log.info("speech render: %s; asking again", problem)
                continue
            failures += 1
            problem = str(value)
            log.warning("speech render failed: %s; %s", problem,
                        "restarting the worker and retrying once" if failures < 2 else "giving up")
            self.restarts += 1
            self._close(rate)
        raise SpeechUnavailable(f"text-to-speech failed for {text[:40]!r}: {problem}")
