"""Piper, the default speech engine: a neural voice (VITS on onnxruntime) rendered in-process.

Which voice (the bundled en_US-joe-medium, one in models/, one by path) is assistant/speaking/piper_voices.py.
Before a model is loaded its bytes are checked against a sha256 digest: the one pinned for the
bundled voice, the one recorded in models/NAME.sha256 at download for a downloaded voice. A
voice of one's own with no record is loaded unchecked. The bytes checked are the bytes handed
to onnxruntime.

A problem with a voice the user named that is not a Piper voice at all (no such file, not
.onnx, no .onnx.json beside it, a JSON that does not match its model) is a VoiceFileError
(exit 2). A checked voice that fails (a swapped or truncated file, an onnxruntime error) is
SpeechUnavailable, on which the caller falls back to pyttsx3 (assistant/speaking/speech.py).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from assistant.audio import Audio, trim_silence
from assistant.errors import SpeechUnavailable
from assistant.speaking.piper_voices import (  # noqa: F401
    BUNDLED,
    BUNDLED_PACKAGE,
    BUNDLED_SHA256,
    MODELS_DIR,
    VoiceFileError,
    VoiceFiles,
    bundled,
    installed,
    is_piper_spec,
    read_record,
    record_path,
    resolve,
    sha256_of,
    write_record,
)
from assistant.speaking.renderer import VoiceSettings, cached_render

log = logging.getLogger(__name__)

# Words per minute the joe voice speaks at length scale 1, counted as espeak-ng counts its rate:
# on 60 content sentences espeak-ng at 150 sounds 180 words a minute, joe at scale 1 sounds 216.
NATURAL_WPM = 180
# Speech length is not proportional to the length scale: measured on six lines, seconds are
# about 7.6 x (0.36 + length scale), so this much of it does not stretch (see length_scale()).
FIXED_SCALE = 0.36
SENTENCE_GAP = 0.25  # seconds of quiet between two sentences of one render
MAX_PIECE = 300  # characters synthesised at once: a longer sentence is cut at commas, then between words
THREADS = 1  # onnxruntime threads: on 2 cores one thread renders faster than two (measured)


def _refuse(files: VoiceFiles, problem: str, bad_input: bool = False) -> Exception:
    """A voice the user brought with no record (or a JSON that does not fit its model) is bad
    input, exit 2; a checked voice failing is a fault, on which pyttsx3 takes over."""
    if bad_input or files.sha256 is None:
        return VoiceFileError(problem)
    return SpeechUnavailable(f"{problem}; {files.fix}")


def load(files: VoiceFiles):
    """A piper.PiperVoice for `files`, checked (sha256), loaded and tried on one word."""
    try:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError as exc:
        raise SpeechUnavailable(f"Piper is not installed ({exc}); run `make setup`") from None
    data = {}
    for path in (files.model, files.config):
        try:
            data[path] = path.read_bytes()
        except OSError as exc:
            raise SpeechUnavailable(f"cannot read the voice file {path} ({exc.strerror or exc}); {files.fix}") from None
        expected = (files.sha256 or {}).get(path.name)
        if files.sha256 is not None and expected is None:
            raise SpeechUnavailable(f"{record_path(files.model)} records no checksum for {path.name}; {files.fix}")
        got = sha256_of(data[path]) if expected else None
        if expected and got != expected:
            raise SpeechUnavailable(f"{path} does not match its checksum (sha256 {got[:12]}..., expected "
                                    f"{expected[:12]}...: the file is truncated or was replaced); refusing it; {files.fix}")
    try:
        config = json.loads(data[files.config])
        rate = int(config["audio"]["sample_rate"])
        ids = config["phoneme_id_map"]
        assert 8000 <= rate <= 48000 and isinstance(ids, dict) and ids
    except (ValueError, KeyError, TypeError, AssertionError):
        raise _refuse(files, f"{files.config} is not a Piper voice config (JSON with audio.sample_rate and "
                             "phoneme_id_map)") from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    # No memory arena: every line has its own length, and the arena grew to each new longest one and
    # kept it (an evening's replies took it from 430 MB to 850 MB and on); plain allocations go back.
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3  # onnxruntime's own warnings are not the user's business
    try:
        session = onnxruntime.InferenceSession(data[files.model], sess_options=options,
                                               providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise _refuse(files, f"{files.model} is not a Piper voice model (onnxruntime: "
                             f"{' '.join(str(exc).split())[:160]})") from None
    del data
    inputs = {i.name for i in session.get_inputs()}
    speakers = int(config.get("num_speakers", 1) or 1)
    if not {"input", "input_lengths", "scales"} <= inputs or (speakers > 1) != ("sid" in inputs):
        raise _refuse(files, f"the voice JSON {files.config} does not match its model {files.model.name} "
                             f"({speakers} speaker(s) in the JSON, model inputs {sorted(inputs)})", bad_input=True)
    voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))
    try:
        for _ in voice.synthesize("Hello."):
            pass
    except Exception as exc:  # noqa: BLE001 - a phoneme id outside the model's table, a broken graph
        raise _refuse(files, f"the voice JSON {files.config} does not match its model {files.model.name} "
                             f"(onnxruntime: {' '.join(str(exc).split())[:160]})", bad_input=True) from None
    return voice


ONSET_RMS = 0.005  # a 5 ms frame this loud (RMS) is where a render starts to be heard


def audible_from_start(audio: Audio, frame: float = 0.005) -> Audio:
    """`audio` from its first audible 5 ms frame: Piper sometimes starts a word with a faint
    breath or burst tens of milliseconds before the voice, which would make a cue laid on the
    second sound late."""
    n = max(1, round(frame * audio.rate))
    frames = len(audio.samples) // n
    if not frames:
        return audio
    rms = np.sqrt((audio.samples[: frames * n].reshape(frames, n) ** 2).mean(axis=1))
    loud = np.flatnonzero(rms >= ONSET_RMS)
    start = max(0, int(loud[0]) - 1) * n if len(loud) else 0
    return Audio(audio.samples[start:], audio.rate)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def pieces(text: str, limit: int = MAX_PIECE) -> list[str]:
    """`text` cut into sentences, and sentences longer than `limit` characters at commas, then
    between words, so no synthesis call gets an unbounded input."""
    out: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        parts = re.split(r"(?<=[,;:])\s+", sentence) if len(sentence) > limit else [sentence]
        for part in parts:
            while len(part) > limit:
                cut = part.rfind(" ", 0, limit)
                cut = cut if cut > 0 else limit
                out.append(part[:cut])
                part = part[cut:].lstrip()
            if part:
                out.append(part)
    return out


class PiperRenderer:
    """The Renderer (see assistant/speaking/speech.py) for Piper voices, with a session cache of lines."""

    engine = "piper"

    def __init__(self, settings: VoiceSettings = VoiceSettings(), cache_size: int = 512,
                 models_dir: Path = MODELS_DIR) -> None:
        self.settings = settings
        self.models_dir = Path(models_dir)
        self.voice_id: str | None = None
        self.files: VoiceFiles | None = None
        self.sample_rate = 22050  # hertz, the voice's own once loaded
        self._voice = None
        self._closed = False
        self._lock = threading.Lock()  # one synthesis at a time, and the cache, whichever thread asks
        self._cache: OrderedDict[tuple[str, int], Audio] = OrderedDict()
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0

    def start(self) -> None:
        """Resolve, check and load the voice (VoiceFileError or SpeechUnavailable otherwise)."""
        if self._closed:
            raise SpeechUnavailable("the speech renderer was closed")
        if self._voice is None:
            files = resolve(self.settings.voice, self.models_dir)
            self._voice = load(files)
            self.files, self.voice_id = files, files.name
            self.sample_rate = self._voice.config.sample_rate
            self._length_scale = float(self._voice.config.length_scale or 1.0)

    def close(self) -> None:
        """No more renders; waits for one in flight (onnxruntime must not be running on another
        thread when the interpreter exits)."""
        self._closed = True
        with self._lock:
            self._voice = None

    def length_scale(self, rate: int) -> float:
        """Words per minute onto Piper's length scale (> 1 is slower), so that speech lasts in
        inverse proportion to the rate: twice the rate, half the time."""
        return self._length_scale * max(0.3, (1 + FIXED_SCALE) * NATURAL_WPM / rate - FIXED_SCALE)

    def render(self, text: str, rate: int) -> Audio:
        return cached_render(self, text, rate, self._synthesize, self.sample_rate)

    def _synthesize(self, text: str, rate: int) -> Audio:
        from piper import SynthesisConfig

        self.start()
        config = SynthesisConfig(length_scale=self.length_scale(rate), volume=self.settings.volume)
        gap = np.zeros(round(SENTENCE_GAP * self.sample_rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        try:
            for piece in pieces(text):
                for chunk in self._voice.synthesize(piece, config):
                    parts += [chunk.audio_float_array.astype(np.float32, copy=False), gap]
        except Exception as exc:  # noqa: BLE001 - onnxruntime's own errors
            raise SpeechUnavailable(f"Piper failed to render {text[:40]!r} ({' '.join(str(exc).split())[:120]})") from None
        samples = np.concatenate(parts[:-1]) if parts else np.zeros(0, dtype=np.float32)
        return audible_from_start(trim_silence(Audio(samples, self.sample_rate)))
