"""End of turn: how long a silence ends what someone is saying, decided from what was said and how.

The endpointer (endpoint.py) finds speech and silence; this module decides, when a silence
starts, how long that silence must last before the turn is over:
  quick       a complete, confident request ("i need a break", "explain step three", "stop"):
              the text matches an intent well, does not trail off, and the turn model does not
              hear an unfinished sentence;
  unfinished  a sentence that trails off ("i think we should", "and then he", a last "and",
              "but", "so"), or one the turn model hears as unfinished: waits longest;
  unsure      anything else: long enough for the pauses of someone upset (up to 1.5 s measured in
              the hesitant set), since a miss or someone's chatter loses nothing by waiting.
The turn model is smart-turn v3.2 (pipecat-ai 1.14.0's bundled ONNX, BSD-2, Daily; ~8.7 MB in
assistant/data/, sha256 pinned): from the last 8 s of audio, the probability that the speaker is
done, from intonation and rhythm. When it cannot load, one warning line, and text alone decides.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.errors import TurnModelError
from assistant.hearing.whisper_features import RATE, SECONDS, log_mel
from assistant.messages import IntentMatch
from assistant.understanding.normalize import normalize, numbers_in

log = logging.getLogger(__name__)

MODEL = Path(__file__).resolve().parents[1] / "data" / "smart-turn-v3.2-cpu.onnx"
MODEL_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"  # pipecat-ai 1.14.0's file

# Words a sentence does not end on: said last before a silence, the speaker is still going.
TRAILING = frozenset("""and but so or because cause then the a an to of if when which who whose with
for from about after before until my your our their i we he she they um uh er erm like just maybe
than as at into let's lets let should could would must gonna wanna gotta""".split())  # not "it", "you", "do": "what can you do" is done
NEEDS = {"explain_step": "step"}  # an intent said without its number is not finished ("explain step ...")
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class TurnSettings:
    quick: float = 0.15  # seconds of silence that end a complete, confident request
    unsure: float = 1.6  # seconds of silence that end what is neither (the hesitant set pauses up to 1.5 s)
    unfinished: float = 2.0  # seconds of silence an unfinished sentence is given
    probe: float = 0.06  # seconds of silence after which the turn is weighed (text decoded so far)
    confident: float = 85.0  # the matcher's score (0-100) a request needs to end quickly
    complete: float = 0.5  # the turn model's probability from which it hears a finished sentence
    doubt: float = 0.15  # under this probability, the model hears an unfinished one
    model: bool = True  # use the turn model when it loads; False: text alone decides


@dataclass(frozen=True)
class Turn:
    wait: float  # seconds of silence that end this turn
    kind: str  # "quick" | "unsure" | "unfinished"
    probability: float | None  # the turn model's, when it ran
    why: str


class TurnModel:
    """smart-turn v3.2 on onnxruntime, one thread: P(done) from the last 8 s of 16 kHz audio."""

    def __init__(self, path: Path = MODEL, sha256: str | None = MODEL_SHA256) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TurnModelError(f"cannot read the turn model {path} ({exc.strerror or exc}); reinstall the "
                                 "assistant (`make setup`)") from None
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise TurnModelError(f"{path} does not match its checksum (truncated or replaced); reinstall the "
                                 "assistant (`make setup`)")
        try:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(data, sess_options=options,
                                                         providers=["CPUExecutionProvider"])
            self._input = self._session.get_inputs()[0].name
        except Exception as exc:  # noqa: BLE001 - onnxruntime's own exception types
            raise TurnModelError(f"cannot load the turn model {path} ({' '.join(str(exc).split())[:120]})") from None

    def probability(self, audio: np.ndarray) -> float:
        """P(the speaker is done) for float32 16 kHz `audio` ending now."""
        x = np.asarray(audio, dtype=np.float32)[-RATE * SECONDS:]
        x = np.pad(x, (RATE * SECONDS - len(x), 0))
        out = self._session.run(None, {self._input: log_mel(x)[None]})[0]
        return float(np.asarray(out).reshape(-1)[0])


def load_turn_model(settings: TurnSettings, warn: Callable[[str], None]) -> TurnModel | None:
    """The turn model, or None with one warning line (text alone then decides)."""
    if not settings.model:
        return None
    try:
        return TurnModel()
    except TurnModelError as exc:
        warn(f"{exc}; the end of a turn is decided from the words alone")
        return None


def trails_off(text: str) -> bool:
    """Whether `text` ends on a word a sentence does not end on ("i think we should", "... and")."""
    words = _WORDS.findall(text.lower())
    return bool(words) and words[-1] in TRAILING


class EndOfTurn:
    """The verdict at the start of a silence: how long it must last to end the turn."""

    def __init__(self, settings: TurnSettings = TurnSettings(), model: TurnModel | None = None,
                 match: Callable[[str], IntentMatch] | None = None) -> None:
        self.settings = settings
        self.model = model
        self.match = match  # text -> IntentMatch (the matcher's), for "a confident request"

    def decide(self, text: str, audio: np.ndarray | None = None, probability: float | None = None) -> Turn:
        """`probability`: the turn model's, when already computed on the audio; else it runs on `audio`."""
        s = self.settings
        words = _WORDS.findall(text.lower())
        p = probability
        if p is None and words and self.model is not None and audio is not None and len(audio):
            p = self.model.probability(audio)
        if not words:
            return Turn(s.unsure, "unsure", p, "no words yet")
        if trails_off(text):
            return Turn(s.unfinished, "unfinished", p, f"ends on {words[-1]!r}")
        if p is not None and p < s.doubt:
            return Turn(s.unfinished, "unfinished", p, f"sounds unfinished (p {p:.2f})")
        m = self.match(text) if self.match is not None else None
        if m is None or m.intent is None or m.score < s.confident:
            return Turn(s.unsure, "unsure", p, "no confident request" if m is None or m.intent is None
                        else f"{m.intent} at {m.score:.0f}")
        if NEEDS.get(m.intent) and not numbers_in(normalize(text)):  # its number not said (yet)
            return Turn(s.unsure, "unsure", p, f"{m.intent} without its {NEEDS[m.intent]}")
        if p is not None and p < s.complete:
            return Turn(s.unsure, "unsure", p, f"{m.intent} at {m.score:.0f}, may go on (p {p:.2f})")
        return Turn(s.quick, "quick", p, f"{m.intent} at {m.score:.0f}" + (f", p {p:.2f}" if p is not None else ""))
