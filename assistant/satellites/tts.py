"""Speaking for a satellite: Piper audio streamed sentence by sentence, pause marks as real silence.

A Synthesize's text (the Handled text Home Assistant passes on to the pipeline's voice) is laid out
as the voice loop lays it (speaking/layout.py): sentence by sentence, a long first sentence opened
by its first clause, and each "[pause N]" as N seconds of digital silence, so a breathing break
keeps its pace on a satellite. Each part is rendered on a worker thread and sent as AudioChunk
events as soon as it is ready. Streamed text (SynthesizeChunk) may cut a sentence or a pause mark
anywhere: `TextParts` holds text back until a sentence or a pause mark is complete.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Executor

import numpy as np
from wyoming.audio import AudioChunk

from assistant.dialogue.content import PAUSE
from assistant.speaking.layout import SENTENCE_GAP, opening, spoken_parts
from assistant.speaking.piper_tts import MODELS_DIR, PiperRenderer
from assistant.speaking.piper_voices import VoiceFiles, installed, resolve
from assistant.speaking.renderer import VoiceSettings

WIDTH = 2  # bytes a sample: 16-bit signed PCM, mono, at the voice's own rate
SAMPLES_PER_CHUNK = 1024  # samples in one AudioChunk (as wyoming-piper sends them)
MAX_PAUSE = 30.0  # seconds one pause mark may ask for
MAX_TEXT = 20_000  # characters one Synthesize (or one stream) may carry
VOICES_LOADED = 2  # Piper voices kept loaded at once
_SENTENCE_END = re.compile(r"[.!?]+[\"')]*\s+")
_ENDS_WITH_PAUSE = re.compile(PAUSE.pattern + r"\s*$")


def language_of(files: VoiceFiles) -> str:
    """The voice's language code from its .onnx.json (e.g. en_US); "en" when it says none."""
    try:
        config = json.loads(files.config.read_text(encoding="utf-8"))
        return str(config.get("language", {}).get("code") or config.get("espeak", {}).get("voice") or "en")
    except (OSError, ValueError, AttributeError):
        return "en"


class Voices:
    """The Piper voices a Synthesize may name: the default (--voice) and the voices installed."""

    def __init__(self, settings: VoiceSettings = VoiceSettings(), models_dir=MODELS_DIR) -> None:
        self.settings = settings
        self.models_dir = models_dir
        self.default = resolve(settings.voice, models_dir)  # VoiceFileError for a bad --voice
        self.files = {v.name: v for v in [self.default, *installed(models_dir)]}
        self._lock = threading.Lock()
        self._loaded: dict[str, PiperRenderer] = {}  # most recently used last

    def renderer(self, name: str | None = None) -> PiperRenderer:
        """The started renderer of voice `name` (the default for None or a voice not installed)."""
        files = self.files.get(name or "", self.default)
        with self._lock:
            renderer = self._loaded.pop(files.name, None)
            if renderer is None:
                spec = str(files.model) if files is not self.default else self.settings.voice
                renderer = PiperRenderer(VoiceSettings(spec, self.settings.rate, self.settings.volume),
                                         models_dir=self.models_dir)
                renderer.start()  # VoiceFileError / SpeechUnavailable
            self._loaded[files.name] = renderer
            while len(self._loaded) > VOICES_LOADED:
                self._loaded.pop(next(iter(self._loaded))).close()
        return renderer

    def close(self) -> None:
        with self._lock:
            for renderer in self._loaded.values():
                renderer.close()
            self._loaded.clear()


class TextTooLong(ValueError):
    pass


class TextParts:
    """Text arriving in pieces -> [(sentence, seconds of quiet after it)] as each part completes.

    A sentence is said as soon as it ends; the quiet after it is decided by what comes next (a pause
    mark's seconds, else the gap between two sentences), so a mark cut off by a chunk still counts."""

    def __init__(self, limit: int = MAX_TEXT) -> None:
        self.buffer = ""
        self.seen = 0
        self.limit = limit
        self.first = True
        self.owed = 0.0  # seconds of quiet owed after the last sentence said, unless a pause mark follows

    def add(self, text: str) -> list[tuple[str, float]]:
        self.seen += len(text)
        if self.seen > self.limit:
            raise TextTooLong(f"the text to say is over {self.limit:,} characters")
        self.buffer += text
        cut = self._cut()
        if cut == 0:
            return []
        done, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return self._parts(done, final=False)

    def finish(self) -> list[tuple[str, float]]:
        done, self.buffer = self.buffer, ""
        return self._parts(done, final=True)

    def _cut(self) -> int:
        """Where the complete part of the buffer ends: after the last pause mark or sentence end
        that no unclosed "[" comes before."""
        text = self.buffer
        open_at = text.rfind("[")
        limit = open_at if open_at > text.rfind("]") else len(text)
        ends = [m.end() for m in PAUSE.finditer(text, 0, limit)]
        ends += [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
        return max(ends, default=0)

    def _parts(self, done: str, final: bool) -> list[tuple[str, float]]:
        parts = spoken_parts(done) if done.strip() else []
        if self.owed and not (parts and parts[0][0] == ""):  # no pause mark came first: the sentence's gap
            parts.insert(0, ("", self.owed))
        self.owed = 0.0
        if parts and not final and not _ENDS_WITH_PAUSE.search(done):
            parts[-1], self.owed = (parts[-1][0], 0.0), SENTENCE_GAP
        parts = [(words, min(MAX_PAUSE, pause)) for words, pause in parts if words or pause > 0]
        if self.first and parts:
            self.first = False
            parts = opening(parts)
        return parts


def parts_of(text: str) -> list[tuple[str, float]]:
    """All of one Synthesize's text as parts (TextTooLong past MAX_TEXT)."""
    stream = TextParts()
    return stream.add(text) + stream.finish()


def pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def chunks(data: bytes, rate: int) -> list[AudioChunk]:
    step = SAMPLES_PER_CHUNK * WIDTH
    return [AudioChunk(rate=rate, width=WIDTH, channels=1, audio=data[i:i + step]) for i in range(0, len(data), step)]


async def audio(parts: list[tuple[str, float]], renderer: PiperRenderer, rate: int,
                executor: Executor) -> AsyncIterator[AudioChunk]:
    """AudioChunks of `parts`: each sentence rendered on `executor` (Piper), then its pause as zeros."""
    loop = asyncio.get_running_loop()
    sample_rate = renderer.sample_rate
    for words, pause in parts:
        if any(ch.isalnum() for ch in words):
            clip = await loop.run_in_executor(executor, renderer.render, words, rate)  # SpeechUnavailable
            for chunk in chunks(pcm(clip.samples), sample_rate):
                yield chunk
        if pause > 0:
            silence = bytes(round(pause * sample_rate) * WIDTH)
            for chunk in chunks(silence, sample_rate):
                yield chunk
