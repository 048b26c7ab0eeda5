"""Choosing the speech engine: text to audio, behind one Renderer protocol (renderer.py), two engines.

Piper (piper_tts.py), a neural voice, is the default; pyttsx3 (espeak-ng, pyttsx3_tts.py) is the
engine that is always there, and takes over with one warning line when Piper cannot start
(`open_renderer`). Rendered lines are cached for the session by either engine; text is laid on a
timeline sentence by sentence (layout.py), so a reply's first sentence sounds while the next render.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.errors import SpeechUnavailable
from assistant.speaking import piper_tts
from assistant.speaking.piper_voices import is_piper_spec
from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
from assistant.speaking.renderer import Renderer, VoiceSettings


def engine_for(settings: VoiceSettings) -> str:
    """The engine the settings ask for: --tts, else Piper unless --voice names a pyttsx3 voice."""
    if settings.tts is not None:
        return settings.tts
    return "piper" if settings.voice is None or is_piper_spec(settings.voice) else "pyttsx3"


def open_renderer(settings: VoiceSettings, warn) -> Renderer:
    """The started renderer for `settings`. When Piper cannot start (a missing or corrupt voice,
    an onnxruntime error), `warn` is called with one line and pyttsx3 takes over with its own
    default voice. A --voice that is no voice file is InputError; no engine, SpeechUnavailable."""
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
