"""Laying a reply's text on a timeline: sentence by sentence, pause marks honoured, a long first
sentence opened by its first clause, so the first sound waits only for the first few words."""

from __future__ import annotations

import re

from assistant.audio import resample
from assistant.dialogue.content import split_pauses
from assistant.speaking.renderer import Renderer

SENTENCE_GAP = 0.3  # seconds between two sentences, each rendered on its own
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def spoken_parts(text: str) -> list[tuple[str, float]]:
    """[(one sentence, seconds of quiet after it), ...]: pause marks honoured, and each sentence
    apart, so the first can sound while the next renders (and a repeated one is cached)."""
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
    if not words:
        return at
    clip = resample(renderer.render(words, rate), timeline.rate)
    timeline.add(at, clip)
    return at + clip.seconds
