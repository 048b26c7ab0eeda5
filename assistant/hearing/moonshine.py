"""Moonshine tiny-en, the default recognizer: a neural model whose weights ship in its wheel.

`moonshine-voice==0.1.0` (MIT; Useful Sensors) carries the model (assets/tiny-en: encoder and
decoder for onnxruntime, a tokenizer; 43 MB) and a C library that runs it; later releases fetch
the model at run time instead, so the version is pinned. The three files are checked against
their sha256 before the model loads, as the Piper voice is. A missing, truncated or replaced
file, or a library that cannot load on this CPU or libc, is one RecognizerError naming it and
the fix; the caller then listens with PocketSphinx.

Moonshine decodes a whole utterance at once (about 0.04 of real time on one core here). It is
not a streaming model, so the assistant decodes early instead: when a silence starts, what was
said so far is decoded (`early`), and when the silence then ends the turn, that text is the
transcript (`finish` reuses it), so the decode overlaps the silence the turn waits anyway. Its
C calls release Python's lock: decoding in a thread never stalls the audio callbacks.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import re
import threading
import time
from pathlib import Path

import numpy as np

from assistant.errors import RecognizerError
from assistant.hearing.recognize import RATE, Transcript
from assistant.understanding.normalize import number_words

log = logging.getLogger(__name__)

PACKAGE = "moonshine-voice==0.1.0"
MODEL = "tiny-en"
SHA256 = {  # pinned: the model files of moonshine-voice 0.1.0
    "encoder_model.ort": "94e90a4654fc45cdfedb77c4c08e1739f48862998e58fada384b25118134f221",
    "decoder_model_merged.ort": "cf524c4862d36e9e5ab032eddc73637efd822d70e868ac575cf1a46e1e4708a0",
    "tokenizer.bin": "6884b35fd6377d4c4d32336a0bc152f36b64d1e45b6503683cdc238250a8472d",
}
FIX = f"reinstall it: .venv/bin/pip install --force-reinstall {PACKAGE}"
LEAD, TAIL = 0.3, 0.3  # seconds of silence put around an utterance before it is decoded (fewer errors)
SILENT = 0.001  # peak level (of full scale) under which audio holds nothing to decode: Moonshine names
# digital silence ("you"), as Whisper does; the echo canceller hands on silence for its own voice
QUIET = 0.3  # an early decode stands when what came after it peaks under this share of the speech's peak


def model_dir() -> Path:
    """Where the bundled model is (RecognizerError when the package is not installed)."""
    try:
        import moonshine_voice
    except Exception as exc:  # noqa: BLE001 - ImportError, or its C library failing to load
        raise RecognizerError(f"the Moonshine recognizer cannot load ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:120]}); {FIX}") from None
    return Path(moonshine_voice.__file__).resolve().parent / "assets" / MODEL


def check_files(folder: Path, digests: dict[str, str] = SHA256) -> None:
    """RecognizerError unless every model file is there with its pinned digest."""
    for name, expected in digests.items():
        path = folder / name
        h = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as exc:
            raise RecognizerError(f"cannot read the Moonshine model file {path} ({exc.strerror or exc}); {FIX}") from None
        if h.hexdigest() != expected:
            raise RecognizerError(f"{path} does not match its checksum (sha256 {h.hexdigest()[:12]}..., expected "
                                  f"{expected[:12]}...: truncated or replaced); refusing it; {FIX}")


def clean(text: str) -> str:
    """Moonshine's cased, punctuated text as the lowercase words people say ("10" as "ten")."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(\d),(\d)", r"\1\2", text)
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text)
    return " ".join(re.sub(r"[^a-z' ]+", " ", text).split())


class MoonshineEngine:
    name = "moonshine"

    def __init__(self, folder: Path | None = None, digests: dict[str, str] | None = SHA256) -> None:
        folder = Path(folder) if folder is not None else model_dir()
        if digests is not None:
            check_files(folder, digests)
        try:
            from moonshine_voice import ModelArch, Transcriber
            from moonshine_voice.moonshine_api import TranscriptC

            self._transcriber = Transcriber(model_path=str(folder), model_arch=ModelArch.TINY,
                                            options={"vad_threshold": "0"})  # one utterance, one line
        except Exception as exc:  # noqa: BLE001 - the C library's errors, a missing symbol, a bad CPU
            raise RecognizerError(f"the Moonshine recognizer cannot load from {folder} "
                                  f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]}); {FIX}") from None
        self._TranscriptC = TranscriptC
        self._decoding = threading.Lock()  # one decode at a time on the model
        self._audio: list[np.ndarray] = []
        self._samples = 0
        self._early: tuple[int, Transcript] | None = None  # (samples it covered, what it heard)
        self._idle = threading.Event()  # set when no early decode is running
        self._idle.set()
        self.decode("")  # the first decode is slow (allocations): do it now, not on someone's words

    # -- decoding -------------------------------------------------------------------------------
    def decode(self, audio: np.ndarray | str) -> str:
        """The words in float32 16 kHz `audio` (silence put around it); "" for no audio."""
        x = np.zeros(RATE // 2, np.float32) if isinstance(audio, str) else np.asarray(audio, np.float32)
        if not isinstance(audio, str) and (not len(x) or float(np.abs(x).max()) < SILENT):
            return ""
        x = np.ascontiguousarray(np.concatenate([np.zeros(round(LEAD * RATE), np.float32), x,
                                                 np.zeros(round(TAIL * RATE), np.float32)]))
        out = ctypes.POINTER(self._TranscriptC)()
        with self._decoding:
            tr = self._transcriber
            err = tr._lib.moonshine_transcribe_without_streaming(
                tr._handle, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(x), RATE, 0, ctypes.byref(out))
            if err != 0:
                raise RecognizerError(f"Moonshine failed to decode (error {err})")
            lines = tr._parse_transcript(out).lines
        return clean(" ".join(line.text for line in lines))

    # -- the Recognizer protocol -----------------------------------------------------------------
    def start(self, over_voice: bool = False) -> None:
        self._idle.wait(5.0)  # an early decode of the last utterance finishes first
        self._audio, self._samples, self._early = [], 0, None

    def accept(self, pcm: np.ndarray) -> str:
        self._audio.append(np.asarray(pcm, dtype=np.int16))
        self._samples += len(pcm)
        early = self._early
        return early[1].text if early else ""

    def heard_so_far(self) -> np.ndarray:
        audio = list(self._audio)
        return (np.concatenate(audio).astype(np.float32) / 32768.0) if audio else np.zeros(0, np.float32)

    def early(self) -> Transcript:
        """Decode what was heard so far, as if it ended now; `finish` reuses it when only quiet
        came after. Safe to call from another thread while `accept` goes on."""
        self._idle.clear()
        try:
            audio = self.heard_so_far()
            t = time.perf_counter()
            text = self.decode(audio) if len(audio) else ""
            heard = Transcript(text, self.name, False, time.perf_counter() - t)
            self._early = (len(audio), heard)
            return heard
        finally:
            self._idle.set()

    def finish(self) -> Transcript:
        self._idle.wait(5.0)  # an early decode under way is worth waiting for: it may be the answer
        audio = self.heard_so_far()
        early = self._early
        if early is not None and early[0] <= len(audio) and self._quiet_after(audio, early[0]):
            return early[1]
        t = time.perf_counter()
        text = self.decode(audio) if len(audio) else ""
        return Transcript(text, self.name, False, time.perf_counter() - t)

    @staticmethod
    def _quiet_after(audio: np.ndarray, n: int) -> bool:
        """Whether `audio` after sample `n` is quiet beside the speech before it (no new words)."""
        after = audio[n:]
        if not len(after):
            return True
        speech = float(np.percentile(np.abs(audio[:n]), 99)) if n else 0.0
        return float(np.percentile(np.abs(after), 99)) < QUIET * max(speech, 1e-4)

    def close(self) -> None:
        tr, self._transcriber = getattr(self, "_transcriber", None), None
        if tr is not None:
            with self._decoding:
                tr.close()
