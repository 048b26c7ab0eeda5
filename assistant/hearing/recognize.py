"""The recognition stage: 16 kHz mono speech in, text out, behind one Protocol.

Two engines:
  Vosk          with a model found on disk (see assistant/hearing/models.py). Biased to the intents:
                a Vosk grammar made of the expanded sentences plus "[unk]"; when the grammar
                answers nothing but "[unk]", a free-form pass decodes the same audio again.
  PocketSphinx  its English model ships in its wheel, so it always runs. Biased to the
                intents with an n-gram language model built from the expanded sentences at
                start-up; a free-form pass with its own large model runs when the biased text
                does not match an intent (`second_opinion`).
Both decode whole utterances (the endpointer decides where one ends) and report partial text
while audio streams in, so a certain command can act before the end.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Protocol

import numpy as np

from assistant.audio import Audio, resample_whole
from assistant.errors import RecognizerError

log = logging.getLogger(__name__)

RATE = 16000  # hertz: what both engines decode
ALTERNATIVES = 4  # hypotheses kept beside the best one


@dataclass(frozen=True)
class Transcript:
    text: str  # lowercase words, "" when nothing was recognised
    engine: str  # "vosk" | "pocketsphinx"
    biased: bool  # True when the intent-biased pass produced it
    decode_s: float = 0.0  # seconds spent finishing the decode after the audio ended
    alternatives: tuple[str, ...] = ()  # other hypotheses, most likely first (n-best, the other pass)

    @property
    def heard(self) -> tuple[str, ...]:
        """Every distinct hypothesis, the best first: what the matcher considers."""
        return tuple(dict.fromkeys(t for t in (self.text, *self.alternatives) if t))


class Recognizer(Protocol):
    name: str

    def start(self, over_voice: bool = False) -> None:
        """Begin a new utterance (`over_voice`: heard while the assistant speaks; engines may ignore it)."""

    def accept(self, pcm: np.ndarray) -> str:
        """Feed int16 samples at 16 kHz; returns the partial text so far."""

    def early(self) -> Transcript:
        """What was heard so far, without ending the utterance: the partial text (or, for an engine
        without partials, a decode of the audio so far, which `finish` reuses when nothing was said
        after it). The end of turn weighs it when a silence starts; may be called from another thread."""

    def finish(self) -> Transcript:
        """End the utterance and return its final text. `start` may also begin a new one without it."""


def to_pcm16(audio: Audio) -> np.ndarray:
    """Any Audio to 16 kHz int16 samples."""
    x = resample_whole(audio, RATE).samples if audio.rate != RATE else audio.samples
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


def transcribe(recognizer: Recognizer, audio: Audio, chunk: float = 0.1) -> Transcript:
    pcm = to_pcm16(audio)
    step = int(chunk * RATE)
    recognizer.start()
    for i in range(0, len(pcm), step):
        recognizer.accept(pcm[i:i + step])
    return recognizer.finish()


def _words(text: str) -> str:
    return " ".join(w for w in text.lower().split() if w not in ("[unk]", "<unk>"))


def _distinct(texts: Iterable[str], besides: str = "", limit: int = ALTERNATIVES) -> tuple[str, ...]:
    out = [t for t in dict.fromkeys(texts) if t and t != besides]
    return tuple(out[:limit])


def _vosk_texts(result: str) -> list[str]:
    """The hypotheses of a Vosk result, with or without SetMaxAlternatives."""
    data = json.loads(result)
    if "alternatives" in data:
        return [_words(a.get("text", "")) for a in data["alternatives"]]
    return [_words(data.get("text", ""))]


# -- Vosk ---------------------------------------------------------------------------------------
class VoskEngine:
    name = "vosk"

    def __init__(self, model_path: Path, phrases: Iterable[str] | None = None,
                 second_opinion: Callable[[str], bool] | None = None) -> None:
        """`second_opinion(text)` says whether a biased transcript is usable; by default it must
        be one of the phrases, since a Vosk grammar recombines the phrases' words freely."""
        try:
            import vosk
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise RecognizerError(f"the vosk package is missing ({exc}); run `make setup`") from None
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        try:
            self.model = vosk.Model(str(model_path))
        except Exception as exc:  # noqa: BLE001 - vosk raises a bare Exception
            raise RecognizerError(f"cannot load the Vosk model in {model_path} ({exc}); "
                                  "check the folder or run `assistant model download`") from None
        self.model_path = Path(model_path)
        self.grammar = None
        self.phrases: frozenset[str] = frozenset()
        if phrases is not None:
            known = [p for p in dict.fromkeys(phrases)
                     if p and all(self.model.vosk_model_find_word(w) != -1 for w in p.split())]
            unk = ["[unk]"] if self.model.vosk_model_find_word("[unk]") != -1 else []
            self.grammar = json.dumps(known + unk, ensure_ascii=False) if known else None
            self.phrases = frozenset(known)
            self.grammar_size = len(known)
        self.second_opinion = second_opinion or (lambda text: text in self.phrases)
        self._audio: list[np.ndarray] = []
        self._segments: list[str] = []  # texts Vosk finalised inside accept() (its own endpoints)
        self._rec = None

    def _recognizer(self, grammar: str | None):
        rec = (self._vosk.KaldiRecognizer(self.model, RATE, grammar) if grammar
               else self._vosk.KaldiRecognizer(self.model, RATE))
        rec.SetWords(False)
        rec.SetMaxAlternatives(ALTERNATIVES + 1)
        return rec

    def start(self, over_voice: bool = False) -> None:
        self._audio = []
        self._segments = []
        self._partial = ""
        self._rec = self._recognizer(self.grammar)

    def accept(self, pcm: np.ndarray) -> str:
        self._audio.append(pcm)
        if self._rec.AcceptWaveform(pcm.tobytes()):  # Vosk's own endpoint: keep the segment
            self._segments.append(_vosk_texts(self._rec.Result())[0])
            self._partial = " ".join(t for t in self._segments if t)
            return self._partial
        partial = _words(json.loads(self._rec.PartialResult()).get("partial", ""))
        self._partial = " ".join(t for t in [*self._segments, partial] if t)
        return self._partial

    def early(self) -> Transcript:
        return Transcript(getattr(self, "_partial", ""), self.name, self.grammar is not None)

    def finish(self) -> Transcript:
        t = time.perf_counter()
        lasts = _vosk_texts(self._rec.FinalResult())
        said = [" ".join(x for x in [*self._segments, last] if x) for last in lasts]
        text, others = said[0], said[1:]
        biased = self.grammar is not None
        if biased and self._audio and not (text and self.second_opinion(text)):  # not a phrase: decode freely
            free = self._recognizer(None)
            free.AcceptWaveform(np.concatenate(self._audio).tobytes())
            frees = _vosk_texts(free.FinalResult())
            text, others, biased = frees[0], [*frees[1:], text, *others], False
        return Transcript(text, self.name, biased, time.perf_counter() - t, _distinct(others, text))


# -- PocketSphinx -------------------------------------------------------------------------------
class PocketSphinxEngine:
    name = "pocketsphinx"

    def __init__(self, phrases: Iterable[str] | None = None,
                 second_opinion: Callable[[str], bool] | None = None) -> None:
        """`second_opinion(text)` says whether a biased transcript is usable (e.g. matches an
        intent); when it says no, the free-form model decodes the utterance again."""
        try:
            import pocketsphinx
        except ImportError as exc:  # pragma: no cover
            raise RecognizerError(f"the pocketsphinx package is missing ({exc}); run `make setup`") from None
        pocketsphinx.set_loglevel("FATAL")
        self._ps = pocketsphinx
        try:
            self.decoder = pocketsphinx.Decoder(samprate=RATE, loglevel="FATAL")
        except Exception as exc:  # noqa: BLE001
            raise RecognizerError(f"cannot start PocketSphinx ({exc}); reinstall with `make setup`") from None
        self.second_opinion = second_opinion
        self.biased = False
        if phrases is not None:
            self.biased = self._add_intent_lm(list(dict.fromkeys(phrases)))
        self._audio: list[np.ndarray] = []

    def _add_intent_lm(self, phrases: list[str]) -> bool:
        from pocketsphinx.lm import ArpaBoLM

        usable = [p for p in phrases if p and all(self.decoder.lookup_word(w) for w in p.split())]
        if not usable:
            return False
        lm = ArpaBoLM(text="\n".join(usable) + "\n", add_start=True, discount_mass=0.3)
        lm.compute()
        out = io.StringIO()
        lm.write(out)
        fd, path = tempfile.mkstemp(suffix=".arpa", prefix="assistant-intents-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(out.getvalue())
            self.decoder.add_lm_file("intents", path)
        finally:
            os.unlink(path)
        self.decoder.activate_search("intents")
        self.lm_sentences = len(usable)
        return True

    def start(self, over_voice: bool = False) -> None:
        self._audio = []
        self._partial = ""
        if getattr(self, "_in_utt", False):  # the last one was taken early, never finished
            self.decoder.end_utt()
        self.decoder.start_utt()
        self._in_utt = True

    def accept(self, pcm: np.ndarray) -> str:
        self._audio.append(pcm)
        self.decoder.process_raw(pcm.tobytes(), False, False)
        hyp = self.decoder.hyp()
        self._partial = _words(hyp.hypstr) if hyp else ""
        return self._partial

    def early(self) -> Transcript:
        return Transcript(getattr(self, "_partial", ""), self.name, self.biased)

    def finish(self) -> Transcript:
        t = time.perf_counter()
        text, others = self._end()
        biased = self.biased
        if biased and self._audio and self.second_opinion is not None and not self.second_opinion(text):
            free, free_others = self._free_pass()  # the intents' words did not fit: decode freely
            text, others, biased = free, [text, *others, *free_others], False
        return Transcript(text, self.name, biased, time.perf_counter() - t, _distinct(others, text))

    def _end(self) -> tuple[str, list[str]]:
        """End the utterance: its best hypothesis and n-best alternatives (the biased pass)."""
        self.decoder.end_utt()
        self._in_utt = False
        return self._hypotheses()

    def _hypotheses(self) -> tuple[str, list[str]]:
        """The best hypothesis of the utterance just ended, and its n-best alternatives."""
        hyp = self.decoder.hyp()
        text = _words(hyp.hypstr) if hyp else ""
        others = []
        try:
            for k, h in enumerate(self.decoder.nbest()):
                if k >= 4 * ALTERNATIVES:  # the list repeats itself with fillers; enough
                    break
                others.append(_words(h.hypstr))
        except Exception:  # noqa: BLE001 - n-best is a bonus; a search without a lattice has none
            pass
        return text, others

    def _free_pass(self) -> tuple[str, list[str]]:
        self.decoder.activate_search("_default")
        try:
            self.decoder.start_utt()
            self.decoder.process_raw(np.concatenate(self._audio).tobytes(), False, True)
            self.decoder.end_utt()
            return self._hypotheses()
        finally:
            self.decoder.activate_search("intents")
