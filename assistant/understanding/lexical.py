"""The words themselves: a word and word-pair model beside the sentence embedding.

A mean-pooled sentence embedding blurs the one word that matters ("he checks my location so he
can put the pasta on" sits next to stalking; "i am so angry i could scream" next to threats). A
linear model over words and word pairs (tf-idf, trained by scripts/train_safety.py with the net
and stored in the same file) keeps them apart; the safety stage averages its logit with the net's.

This is scikit-learn's TfidfVectorizer (lowercase, tokens of two or more word characters, words
and word pairs, sublinear term frequency, smoothed idf, unit length) followed by a logistic
regression, re-done in numpy so that running it needs no scikit-learn; scripts/train_safety.py
checks the two agree before it writes the file.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def terms(text: str) -> list[str]:
    """Words (two characters or more) and adjacent word pairs, as scikit-learn counts them."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class WordModel:
    """logit(danger | words) from a tf-idf vocabulary and one logistic regression."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, coef: np.ndarray, intercept: float) -> None:
        if not (len(vocabulary) == len(idf) == len(coef)):
            raise ValueError(f"vocabulary ({len(vocabulary)}), idf ({len(idf)}) and coef ({len(coef)}) differ in length")
        self._index = {term: k for k, term in enumerate(vocabulary)}
        self._idf = np.asarray(idf, dtype=np.float64)
        self._coef = np.asarray(coef, dtype=np.float64)
        self._intercept = float(intercept)

    @classmethod
    def from_arrays(cls, vocabulary: str, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> "WordModel":
        """From the arrays stored in the safety net's file (the vocabulary one newline-joined string)."""
        return cls(str(vocabulary).split("\n"), idf, coef, float(np.asarray(intercept).reshape(-1)[0]))

    @staticmethod
    def arrays(vocabulary: Sequence[str], idf: np.ndarray, coef: np.ndarray, intercept: float) -> dict[str, np.ndarray]:
        if any("\n" in term for term in vocabulary):
            raise ValueError("a vocabulary term holds a newline")
        return {"lex_vocab": np.str_("\n".join(vocabulary)), "lex_idf": np.asarray(idf, dtype=np.float32),
                "lex_coef": np.asarray(coef, dtype=np.float32), "lex_b": np.float32(intercept)}

    def logit(self, text: str) -> float:
        counts: dict[int, int] = {}
        for term in terms(text):
            k = self._index.get(term)
            if k is not None:
                counts[k] = counts.get(k, 0) + 1
        if not counts:
            return self._intercept
        index = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        x = tf * self._idf[index]
        return float(x @ self._coef[index] / np.linalg.norm(x) + self._intercept)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.logit(t) for t in texts], dtype=np.float64)
