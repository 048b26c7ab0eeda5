"""What every speech engine offers: the Renderer protocol, the voice settings, the session cache
of rendered lines, and the speaking rate after slower/faster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.audio import Audio

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


CACHE_BYTES = 32 * 2**20  # bytes of rendered audio a renderer keeps (about 6 minutes of Piper's voice)


def cached_render(renderer, text: str, rate: int, synthesize, sample_rate: int) -> Audio:
    """A line through the renderer's session cache (least recently used first out, at most
    `_cache_size` lines and CACHE_BYTES of audio: a long evening's lines, each a few hundred kB, would
    otherwise hold hundreds of MB), counting hits and misses; `synthesize(text, rate)` renders a
    miss. Both engines use it."""
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
        held = getattr(renderer, "_cache_bytes", 0) + audio.samples.nbytes
        while renderer._cache and (len(renderer._cache) > renderer._cache_size or held > CACHE_BYTES):
            held -= renderer._cache.popitem(last=False)[1].samples.nbytes
        renderer._cache_bytes = held
        return audio


def rate_for(settings: VoiceSettings, multiple: float) -> int:
    """Words per minute after the session's slower/faster multiple."""
    return max(60, min(400, round(settings.rate * multiple)))
