"""The optional wake word: a detector over the microphone's 30 ms blocks that says when it was heard.

Two kinds, one Protocol:
  a bundled microWakeWord model  `hey_jarvis`, `okay_nabu`, `hey_mycroft`, `alexa` (they ship in
                                 the pymicro-wakeword wheel with its own TensorFlow Lite library):
                                 a small neural network trained for that one phrase.
  any other phrase               spotted by a PocketSphinx decoder of its own in keyphrase (kws)
                                 search: every word must be in PocketSphinx's dictionary, and a
                                 phrase of ten sounds or more ("okay assistant") is spotted far
                                 more surely than a short one ("hey coach").
BENCHMARKS.md, "Wake word", measures them. `sensitivity` (0-1, higher wakes more easily and falsely
more often; None is 0.5: the models' own cut-offs, the measured keyphrase threshold) tunes either.
Bad input is a WakeWordError of one line, which the voice loop prints before running on without a
wake word.
"""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np

from assistant.errors import WakeWordError

RATE = 16000
FRAME = 480  # samples: the capture's 30 ms block
BUNDLED = ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa")  # pymicro_wakeword.Model values
DEFAULT_SENSITIVITY = 0.5
# PocketSphinx's keyphrase threshold at the default sensitivity, per phone of the phrase: a longer
# phrase has a smaller acoustic likelihood, so its threshold is that much lower. At 1e-4 per phone
# ("okay assistant", 11 phones: 1e-44) the bench's hour of chatter woke no phrase it tried but
# "okay coach" (on "can you hear me ok", at any sensitivity: "okay" is too common a word), and a
# lower threshold bought little more in noise.
KWS_PER_PHONE = 1e-4
KWS_SPAN = 2.0  # sensitivity 0 or 1 raises or lowers that per-phone threshold by this many decades
# A phrase of fewer phones than this is spotted in noise too: in the bench's babble at 10 dB "hey coach"
# (5 phones) woke over 200 times an hour, "hey there coach" (8) over 40, "okay assistant" (11) never.
SHORT_PHONES = 10
REARM_S = 1.0  # after a detection, at least this long before the next one


class WakeWord(Protocol):
    name: str  # what was asked for, e.g. "hey_jarvis" or "hey coach"
    warning: str | None  # one line worth printing when it starts (a phrase too short to spot reliably)

    def process(self, frame: np.ndarray) -> bool:
        """One 30 ms block, int16 mono 16 kHz: True once when the wake word has just been heard."""

    def reset(self) -> None:
        """Forget what was heard so far (e.g. after the assistant's own turn)."""


def _int16(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype.kind == "f":  # tolerated: float samples in -1..1
        frame = np.clip(frame, -1, 1) * 32767
    return np.ascontiguousarray(frame.reshape(-1), dtype=np.int16)


class MicroWakeWordDetector:
    """A bundled microWakeWord model over a stream of blocks."""

    def __init__(self, name: str, model: str, sensitivity: float) -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model

            self._model = MicroWakeWord.from_builtin(Model(model))
            self._features = MicroWakeWordFeatures()
        except Exception as exc:  # noqa: BLE001 - a missing wheel, or a TFLite library that will not load here
            raise WakeWordError(f"cannot load the wake word model {model} ({_one_line(exc)}); "
                                "reinstall with `make setup`, or use a phrase in words") from None
        self.name = name
        self.model = model
        self.warning = None
        # The model's own cut-off at 0.5; each step of 0.5 multiplies the distance to 1 by 4.
        self.cutoff = 1 - (1 - self._model.probability_cutoff) * 4 ** (2 * sensitivity - 1)
        self._quiet = 0  # blocks left before a detection may fire again (the probability stays high
        # for a few hundred ms after the phrase; between inferences the model reports 0)

    def process(self, frame: np.ndarray) -> bool:
        fired = False
        for features in self._features.process_streaming(_int16(frame).tobytes()):
            prob = self._model.process_streaming_prob(features)
            fired = fired or (prob is not None and prob > self.cutoff and self._quiet <= 0)
        self._quiet = round(REARM_S * RATE / FRAME) if fired else self._quiet - 1
        return fired

    def reset(self) -> None:
        self._model.reset()  # reloads the interpreter: its streaming state is inside it
        self._features.reset()
        self._quiet = 0


class KeyphraseDetector:
    """A custom phrase spotted by PocketSphinx's keyphrase search, in a decoder of its own."""

    def __init__(self, name: str, phrase: str, sensitivity: float) -> None:
        self.name = name
        self.phrase = phrase
        decoder = _sphinx_decoder()
        words = phrase.split()
        phones = 0
        for word in words:
            pron = decoder.lookup_word(word)
            if not pron:
                raise WakeWordError(
                    f"wake word {phrase!r}: PocketSphinx has no pronunciation for {word!r}; pick another "
                    f"phrase (words it knows, two or three of them) or one of the bundled models: {', '.join(BUNDLED)}")
            phones += len(pron.split())
        self.phones = phones
        self.warning = None if phones >= SHORT_PHONES else (
            f"wake word {name!r} is short ({phones} sounds): in a noisy room it will wake on other speech; "
            "a longer phrase (e.g. \"okay assistant\") or the hey_jarvis model wakes falsely far less")
        self.threshold = (KWS_PER_PHONE * 10 ** (KWS_SPAN * (1 - 2 * sensitivity))) ** phones
        decoder.config["kws_threshold"] = self.threshold  # read when the search is made
        decoder.add_keyphrase("wake", phrase)
        decoder.activate_search("wake")
        self._decoder = decoder
        self._quiet = 0
        self._decoder.start_utt()

    def process(self, frame: np.ndarray) -> bool:
        self._decoder.process_raw(_int16(frame).tobytes(), False, False)
        self._quiet -= 1
        if self._decoder.hyp() is None:
            return False
        self._decoder.end_utt()  # a fresh search: the phrase just heard is not heard again
        self._decoder.start_utt()
        if self._quiet > 0:
            return False
        self._quiet = round(REARM_S * RATE / FRAME)
        return True

    def reset(self) -> None:
        self._decoder.end_utt()
        self._decoder.start_utt()
        self._quiet = 0


def _sphinx_decoder():
    try:
        import pocketsphinx

        pocketsphinx.set_loglevel("FATAL")
        return pocketsphinx.Decoder(samprate=RATE, loglevel="FATAL", lm=None)
    except Exception as exc:  # noqa: BLE001
        raise WakeWordError(f"cannot start PocketSphinx for the wake word ({_one_line(exc)}); "
                            "reinstall with `make setup`") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def load_wake_word(spec: str, sensitivity: float | None = None) -> WakeWord:
    """`spec`: a bundled model name (`hey_jarvis`; also "hey jarvis" or "Hey-Jarvis") or a phrase
    in words ("okay coach"). Raises WakeWordError (one line) for anything that cannot be used."""
    s = DEFAULT_SENSITIVITY if sensitivity is None else float(sensitivity)
    if not 0 <= s <= 1:
        raise WakeWordError(f"wake word sensitivity must be from 0 to 1, got {s:g}")
    name = " ".join(str(spec).split())
    key = re.sub(r"[\s\-]+", "_", name.lower())
    if key in BUNDLED:
        return MicroWakeWordDetector(name, key, s)
    if "_" in name or key.endswith((".tflite", ".json")):  # looks like a model's name
        raise WakeWordError(f"no bundled wake word model {name!r}; the bundled ones are {', '.join(BUNDLED)} "
                            "(or give a phrase in words, e.g. \"okay coach\")")
    phrase = " ".join(re.sub(r"[^\w' ]+", " ", name.lower()).split())
    if not phrase:
        raise WakeWordError(f"wake word {spec!r} has no words; give one of {', '.join(BUNDLED)} or a phrase in words")
    return KeyphraseDetector(name, phrase, s)
