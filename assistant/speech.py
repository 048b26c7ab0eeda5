"""The speech stage: text to audio, behind one Renderer protocol, two engines.

Piper (assistant/piper_tts.py), a neural voice, is the default; pyttsx3 (espeak-ng) is the
engine that is always there, and takes over with one warning line when Piper cannot start
(`open_renderer`). Rendered lines are cached for the session by either engine. Text is laid
on a timeline sentence by sentence (`lay_text`), so a reply's first sentence can sound while the
next ones render.

pyttsx3 with espeak can hang on repeated runAndWait/save_to_file calls (pyttsx3 issues #126,
#194) and now and then writes an empty WAV. So pyttsx3 renders in a worker process
(`assistant/tts_worker.py`) with a timeout: a hung or empty render is reported, the worker
restarted, and the line retried once. The worker keeps pyttsx3's prints ("Audio saved to ...")
off the protocol channel.
"""

from __future__ import annotations

import json
import logging
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from assistant.audio import Audio, read_wav, trim_silence
from assistant.errors import AssistantError, InputError

log = logging.getLogger(__name__)

EMPTY_WAV = 44  # bytes: a WAV header with no samples


class SpeechUnavailable(AssistantError):
    """No text-to-speech engine could be started or it failed twice in a row."""


ENGINES = ("piper", "pyttsx3")


@dataclass(frozen=True)
class VoiceSettings:
    voice: str | None = None  # a Piper voice (NAME in models/ or a path to NAME.onnx) or a pyttsx3 voice
    #                           id or part of its name (e.g. "en-us"); None = the engine's default voice
    rate: int = 150  # words per minute (a calm pace; espeak's own default is 200; Piper: see length_scale)
    volume: float = 0.9  # 0-1
    render_timeout: float = 10.0  # seconds one line may take to render before the worker is restarted (pyttsx3)
    tts: str | None = None  # engine: "piper" | "pyttsx3"; None = Piper, unless `voice` names a pyttsx3 voice


class Renderer(Protocol):
    engine: str  # "piper" | "pyttsx3"
    voice_id: str | None  # the voice in use, once started

    def start(self) -> object:
        """Load the engine and voice now (SpeechUnavailable when it cannot)."""
        ...

    def render(self, text: str, rate: int) -> Audio:
        """Speech for `text` at `rate` words per minute, leading/trailing silence trimmed."""
        ...

    def close(self) -> None: ...


def engine_for(settings: VoiceSettings) -> str:
    """The engine the settings ask for: --tts, else Piper unless --voice names a pyttsx3 voice."""
    from assistant.piper_voices import is_piper_spec

    if settings.tts is not None:
        return settings.tts
    return "piper" if settings.voice is None or is_piper_spec(settings.voice) else "pyttsx3"


def open_renderer(settings: VoiceSettings, warn) -> Renderer:
    """The started renderer for `settings`. When Piper cannot start (a missing or corrupt voice,
    an onnxruntime error), `warn` is called with one line and pyttsx3 takes over with its own
    default voice. A --voice that is no voice file is InputError; no engine, SpeechUnavailable."""
    from assistant import piper_tts

    if engine_for(settings) == "piper":
        piper = piper_tts.PiperRenderer(settings)
        try:
            piper.start()
            return piper
        except SpeechUnavailable as exc:
            warn(f"{exc}; speaking with pyttsx3 (espeak-ng) instead")
            settings = replace(settings, voice=None, tts="pyttsx3")
    renderer = Pyttsx3Renderer(settings)
    renderer.start()
    return renderer


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
            sys.executable, "-m", "assistant.tts_worker", "--volume", str(self.settings.volume), "--rate", str(rate)]
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
                                    stderr=subprocess.DEVNULL, cwd=str(Path(__file__).parent.parent))
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


def cached_render(renderer, text: str, rate: int, synthesize, sample_rate: int) -> Audio:
    """A line through the renderer's session cache (least recently used first out, `_cache_size`
    lines), counting hits and misses; `synthesize(text, rate)` renders a miss. Both engines use it."""
    if not any(ch.isalnum() for ch in text):
        return Audio(np.zeros(0, dtype=np.float32), sample_rate)  # nothing to say
    key = (text, rate)
    with renderer._lock:
        if key in renderer._cache:
            renderer.hits += 1
            renderer._cache.move_to_end(key)
            return renderer._cache[key]
        renderer.misses += 1
        audio = synthesize(text, rate)
        renderer._cache[key] = audio
        if len(renderer._cache) > renderer._cache_size:
            renderer._cache.popitem(last=False)
        return audio


def rate_for(settings: VoiceSettings, multiple: float) -> int:
    """Words per minute after the session's slower/faster multiple."""
    return max(60, min(400, round(settings.rate * multiple)))


SENTENCE_GAP = 0.3  # seconds between two sentences, each rendered on its own
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def spoken_parts(text: str) -> list[tuple[str, float]]:
    """[(one sentence, seconds of quiet after it), ...]: pause marks honoured, and each sentence
    apart, so the first can sound while the next renders (and a repeated one is cached)."""
    from assistant.content import split_pauses

    out: list[tuple[str, float]] = []
    for words, pause in split_pauses(text):
        sentences = [s for s in _SENTENCE_END.split(words.strip()) if s] or [""]
        out += [(s, SENTENCE_GAP) for s in sentences[:-1]] + [(sentences[-1], pause)]
    return out


CLAUSE_GAP = 0.25  # seconds after a first clause said alone (about the pause a voice makes at a comma)
FIRST_WORDS = 6  # a first sentence of more words starts with its first clause alone


def opening(parts: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """`parts` with a long first sentence cut after its first clause, so that the voice starts
    after rendering a few words (a reply's first sound waits for its first part only)."""
    words, pause = parts[0]
    comma = re.search(r"[,;:]\s+", words)
    if len(words.split()) > FIRST_WORDS and comma and len(words[:comma.start()].split()) >= 2:
        return [(words[:comma.start() + 1], CLAUSE_GAP), (words[comma.end():], pause), *parts[1:]]
    return parts


def lay_text(timeline, at: float, text: str, renderer: Renderer, rate: int) -> float:
    """Place `text` on `timeline` from `at` seconds, sentence by sentence, honouring its pause
    marks; returns the end."""
    t = at
    for words, pause in spoken_parts(text):
        t = lay_part(timeline, t, words, renderer, rate) + pause
    return t


def lay_part(timeline, at: float, words: str, renderer: Renderer, rate: int) -> float:
    """One rendered part on the timeline at `at` seconds; returns where it ends."""
    from assistant.audio import resample

    if not words:
        return at
    clip = resample(renderer.render(words, rate), timeline.rate)
    timeline.add(at, clip)
    return at + clip.seconds
