"""What the shipped matcher is measured against (bench only, never loaded by the assistant):
a difflib matcher, and WordLlama static word embeddings, the encoder the matcher used before
all-MiniLM-L6-v2 (its `wordllama` package is in the `bench` extra: pip install -e ".[bench]")."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.messages import IntentMatch
from assistant.understanding.intents import Catalogue
from assistant.understanding.matcher import MatchSettings
from assistant.understanding.normalize import normalize

# The settings the matcher shipped with while WordLlama was its encoder (commit 7712056); the
# fuzzy-only matcher uses them too (no settings were ever tuned for rapidfuzz alone).
WORDLLAMA_SETTINGS = replace(MatchSettings(), threshold=66.0, margin=4.0, fuzzy_weight=0.5)


class DifflibMatcher:
    """The baseline: best SequenceMatcher ratio over the same sentences, accepted when it reaches
    the shipped threshold (ratio x 100 >= MatchSettings.threshold); the intent and slots of that
    sentence. No phrases, no safety net."""

    def __init__(self, catalogue: Catalogue, threshold: float = MatchSettings().threshold) -> None:
        self.sentences = catalogue.sentences
        self.threshold = threshold

    def match(self, text: str) -> IntentMatch:
        query = normalize(text)
        if not query:
            return IntentMatch(None, 0.0, stage="empty")
        best, best_score = None, -1.0
        sm = difflib.SequenceMatcher(autojunk=False)
        sm.set_seq2(query)
        for s in self.sentences:
            sm.set_seq1(s.text)
            if sm.real_quick_ratio() > best_score and sm.quick_ratio() > best_score:
                score = sm.ratio()
                if score > best_score:
                    best, best_score = s, score
        score = round(100.0 * best_score, 1)
        if best is None or score < self.threshold:
            return IntentMatch(None, score, sentence=best.text if best else None, stage="difflib")
        return IntentMatch(best.intent, score, dict(best.slots), best.text, stage="difflib")


class WordLlamaEmbedder:
    """Static word embeddings (WordLlama 256-d, weights bundled in its wheel; never downloads)."""

    name = "wordllama-256"

    def __init__(self, dim: int = 256) -> None:
        import wordllama  # ImportError: pip install -e ".[bench]"
        from wordllama import WordLlama

        # Its own lookup misses the bundled tokenizer: point it at the package folder.
        self._model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)


class TiledEncoder:
    """Stands in for the sentence encoder when a synthetic catalogue is built: the catalogue's
    sentences get the shipped sentences' embeddings, repeated (embedding 100,000 synthetic
    sentences would take minutes and change nothing in the per-query cost); a query is embedded
    by the real encoder. So each match pays the real query encoding and the real N x 384 product."""

    def __init__(self, encoder, shipped: np.ndarray) -> None:
        self.encoder, self.shipped = encoder, shipped
        self.name = f"tiled-{encoder.name}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:
            return self.encoder.embed(texts)
        reps = -(-len(texts) // len(self.shipped))
        return np.ascontiguousarray(np.tile(self.shipped, (reps, 1))[:len(texts)])


@contextmanager
def scratch_cache() -> Iterator[Path]:
    """A throwaway $XDG_CACHE_HOME while bench-only matchers are built: their sentence embeddings
    must not push the shipped catalogue's out of the user's cache (it keeps a few)."""
    old = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = old
