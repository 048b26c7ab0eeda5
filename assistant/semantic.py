"""Meaning, not spelling: static word embeddings (WordLlama, weights bundled in its wheel).

The fuzzy scores catch slips of the ear ("step tree"); the embeddings catch phrasing nobody
wrote down ("we feel like room mates"). Loading never touches the network.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from assistant.errors import AssistantError

log = logging.getLogger(__name__)


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text (float32)."""
        ...


class WordLlamaEmbedder:
    def __init__(self, dim: int = 256) -> None:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError as exc:  # pragma: no cover - it is a declared dependency
            raise AssistantError(f"the wordllama package is missing ({exc}); run `make setup`") from None
        folder = Path(wordllama.__file__).parent
        try:
            # Its own lookup misses the bundled tokenizer: point it at the package folder.
            self._model = WordLlama.load(cache_dir=folder, disable_download=True, dim=dim)
        except Exception as exc:  # noqa: BLE001 - any failure here is an install problem
            raise AssistantError(f"cannot load the WordLlama weights bundled in {folder} ({exc}); "
                                 "reinstall with `make setup`") from None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)
