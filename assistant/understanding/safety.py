"""Danger said in words nobody listed: a small learned net over the sentence embedding.

The phrases in intents/safety.yaml decide danger they name, wherever it is said. This stage
reaches the rest: a one-hidden-layer net (trained by scripts/train_safety.py on thousands of
labelled danger statements and hard everyday negatives, weights in assistant/data/safety_net.npz)
gives the probability that an utterance describes danger. Three outcomes, like a counsellor:

  p >= sure    `safety`: the full safety answer, at once;
  p >= unsure  `safety_check`: one caring question ("Are you safe right now?");
  otherwise    nothing: the intents decide.

The net's logit is averaged (weight `lex_share`) with that of a word and word-pair model
(assistant/understanding/lexical.py) stored in the same file: the embedding brings meaning, the words keep
"could scream" from "could kill".

A figure of speech from the `except` list ("killing it at work") lowers a sure verdict to the
question; it never silences it. So does an utterance unlike every danger statement the net learned
from (its nearest one, by cosine, below `support_min`): far from its training, the net's certainty is
extrapolation ("what's the best way to build a skyscraper"), so it asks rather than answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.errors import EncoderError
from assistant.understanding.lexical import WordModel

NET = Path(__file__).resolve().parents[1] / "data" / "safety_net.npz"
SAFETY, SAFETY_CHECK = "safety", "safety_check"


@dataclass(frozen=True)
class SafetyVerdict:
    outcome: str | None  # "safety", "safety_check" or None
    probability: float  # 0-1, the net's estimate that danger was described


class SafetyNet:
    """p(danger | sentence embedding), with the two thresholds it was tuned with."""

    def __init__(self, path: Path = NET, encoder: str | None = None) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                self._w1, self._b1 = data["w1"], data["b1"]
                self._w2, self._b2 = data["w2"], data["b2"]
                self.sure = float(data["sure"])
                self.unsure = float(data["unsure"])
                # a safety phrase said where the net finds less danger than this is asked about, not answered
                # ("he shot me a look"); older nets: a quarter of `unsure`
                self.phrase_doubt = float(data["phrase_doubt"]) if "phrase_doubt" in data else self.unsure / 4
                self.encoder = str(data["encoder"])
                # unit-length embeddings of the danger statements it was trained on (int8, x127), and the cosine one of
                # them must reach for a sure verdict (absent in older nets: no such guard)
                self._support = data["support"].astype(np.float32) / 127.0 if "support" in data else None
                self.support_min = float(data["support_min"]) if "support_min" in data else 0.0
                # the word model and its share of the logit (absent in older nets: the embedding alone)
                self.words = (WordModel.from_arrays(data["lex_vocab"], data["lex_idf"], data["lex_coef"], data["lex_b"])
                              if "lex_vocab" in data else None)
                self.lex_share = float(data["lex_share"]) if self.words is not None else 0.0
        except (OSError, KeyError, ValueError) as exc:
            raise EncoderError(f"the safety net {path} cannot be read ({exc}); reinstall with `make setup` "
                               "or rebuild it with scripts/train_safety.py") from None
        if encoder is not None and encoder != self.encoder:
            raise EncoderError(f"the safety net {path} was trained on {self.encoder} embeddings, not {encoder}; "
                               "rebuild it with scripts/train_safety.py")
        self.digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    def probability(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """One probability per row of sentence embeddings, each with its (normalised) text."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(vectors)} embeddings but {len(texts)} texts")
        hidden = np.maximum(vectors @ self._w1 + self._b1, 0.0)
        logits = (hidden @ self._w2 + self._b2).reshape(-1).astype(np.float64)
        if self.words is not None:
            logits = (1.0 - self.lex_share) * logits + self.lex_share * self.words.logits(texts)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def support(self, vector: np.ndarray) -> float:
        """Cosine of the nearest danger statement the net was trained on (1.0 when it has none stored)."""
        if self._support is None:
            return 1.0
        v = vector.reshape(-1).astype(np.float32)
        return float(np.max(self._support @ (v / (np.linalg.norm(v) or 1.0))))

    def verdict(self, vector: np.ndarray, text: str, excepted: bool = False, sure: float | None = None,
                unsure: float | None = None) -> SafetyVerdict:
        p = float(self.probability(vector.reshape(1, -1), [text])[0])
        sure = self.sure if sure is None else sure
        unsure = self.unsure if unsure is None else unsure
        if p >= sure and not excepted and self.support(vector) >= self.support_min:
            return SafetyVerdict(SAFETY, p)
        if p >= unsure:
            return SafetyVerdict(SAFETY_CHECK, p)
        return SafetyVerdict(None, p)
