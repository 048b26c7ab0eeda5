"""The recognizers the assistant hears with, each where it measured best (docs/hearing.md):

  in the clear      Moonshine (neural, free-form): what people say, as they say it;
  not understood    PocketSphinx biased to the intents, on the same audio, as an alternative:
                    Moonshine tiny mishears some lone command words ("stop" as "star") and robotic
                    voices, which a decoder that expects the intents' words gets right;
  over its voice    PocketSphinx biased to the intents, streaming: the residue of its own voice
                    makes a free-form model invent words, and "stop" must act on a partial result.

`Ears` is one Recognizer to the loop: `start(over_voice=...)` picks the engine for the utterance.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

import numpy as np

from assistant.hearing.recognize import ALTERNATIVES, RATE, Recognizer, Transcript, _distinct

LONGEST = 3.0  # seconds: an utterance up to this long whose words match no intent gets the biased pass too
# (commands and robotic voices are short; on a longer miss it cost ~0.8 s and a core, for chatter)
NOISE = 1.5  # seconds: a short utterance of a word or two that neither pass understands is taken for a noise
# (Moonshine, like Whisper, names a noise or its own voice's tail: "you", "okay", "bye")
SUSPECT = frozenset({"you", "thank you", "thanks", "bye", "oh", "the", "so", "i", "a", "uh", "um", "hmm", "huh"})
# what it says for a noise: a short utterance of these stands only if the biased pass hears words too


class Ears:
    def __init__(self, neural, biased: Recognizer, understood: Callable[[str], bool] | None = None,
                 longest: float = LONGEST) -> None:
        self.neural = neural  # a MoonshineEngine (start, accept, early, finish, heard_so_far)
        self.biased = biased  # PocketSphinx biased to the intents (in a process of its own, live)
        self.understood = understood or (lambda text: True)  # text -> whether it matches an intent
        self.longest = longest
        self.name = neural.name
        self._current = neural

    def start(self, over_voice: bool = False) -> None:
        self._current = self.biased if over_voice else self.neural
        self._current.start()

    def accept(self, pcm: np.ndarray) -> str:
        return self._current.accept(pcm)

    def early(self) -> Transcript:
        return self._current.early()

    def heard_so_far(self) -> np.ndarray:
        if self._current is self.neural:
            return self.neural.heard_so_far()
        audio = list(getattr(self.biased, "_audio", []))
        return np.concatenate(audio).astype(np.float32) / 32768.0 if audio else np.zeros(0, np.float32)

    def finish(self) -> Transcript:
        heard = self._current.finish()
        if self._current is not self.neural:
            return heard
        audio = self.neural.heard_so_far()
        suspect = len(audio) <= NOISE * RATE and heard.text in SUSPECT
        if not len(audio) or len(audio) > self.longest * RATE:
            return heard
        if heard.text and not suspect and self.understood(heard.text):
            return heard
        t = time.perf_counter()
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        self.biased.start()
        self.biased.accept(pcm)
        other = self.biased.finish()
        others = _distinct([other.text, *other.alternatives], heard.text, ALTERNATIVES)
        spent = heard.decode_s + time.perf_counter() - t
        if suspect and not other.text:
            return replace(heard, text="", alternatives=(heard.text,), decode_s=spent)
        if (len(audio) <= NOISE * RATE and len(heard.text.split()) <= 2
                and not any(self.understood(o) for o in others)):
            return replace(heard, text="", alternatives=_distinct([heard.text, *others]), decode_s=spent)
        return replace(heard, alternatives=others, decode_s=spent)

    def close(self) -> None:
        for engine in (self.neural, self.biased):
            if hasattr(engine, "close"):
                engine.close()
