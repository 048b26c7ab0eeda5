"""Speech for the spoken-accuracy benchmark: dev phrases said by espeak-ng voices and by the
neural Piper voice (joe at several length and noise scales, scripts/speech_material.py),
rendered once and cached on disk, and the noise they are heard in.

Noise: babble of six espeak-ng talkers plus a pink floor (see add_noise). Renders are cached in
.cache/spoken/ (keyed by voice, rate, text and the espeak-ng or piper-tts version), so a rerun
only decodes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from speech_material import CHATTER, family, piper_say

from assistant.audio import Audio, read_wav, write_wav

from .. import ROOT

CACHE = ROOT / ".cache" / "spoken"
RENDERS = 0  # espeak-ng runs in this process (cache misses), for tests and reports

# The dev set is written the way a recogniser prints ("im", "dont"); a person says "I'm", "don't".
# Only unambiguous ones are restored ("were" and "its" are left as written).
_SAY = {"im": "I'm", "dont": "don't", "cant": "can't", "wont": "won't", "isnt": "isn't",
        "doesnt": "doesn't", "havent": "haven't", "whats": "what's", "youre": "you're",
        "thats": "that's", "lets": "let's", "hes": "he's", "shes": "she's", "theres": "there's",
        "id": "I'd", "didnt": "didn't", "wasnt": "wasn't", "arent": "aren't", "ive": "I've",
        "theyre": "they're", "couldnt": "couldn't", "wouldnt": "wouldn't", "shouldnt": "shouldn't"}

# Everyday chatter for the babble noise: no intent words, so the noise cannot vote. The first six
# are the Piper babble's (scripts/speech_material.py); espeak-ng's talkers say six more.
_CHATTER = CHATTER + (
    "can you believe the price of petrol these days",
    "i left my umbrella at the office on friday",
    "the garden needs watering before the weekend",
    "they are building a new supermarket near the station",
    "the film was much longer than i expected",
    "our neighbours got a puppy and it barks all day",
)
_BABBLE_VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb-x-rp", "en-us+f4", "en-029")


# -- speech ----------------------------------------------------------------------------------------
def speakable(text: str) -> str:
    """A dev row as a person would say it: apostrophes back in the common contractions."""
    return " ".join(_SAY.get(w, w) for w in text.split())


@lru_cache(maxsize=1)
def _espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@lru_cache(maxsize=1)
def _piper_version() -> str:
    from importlib.metadata import version

    from assistant.speaking.piper_tts import BUNDLED, BUNDLED_SHA256

    return f"piper-tts {version('piper-tts')} {BUNDLED} {BUNDLED_SHA256[BUNDLED + '.onnx'][:12]}"


PIPER_TAIL = 0.39  # seconds of silence after a Piper render, as espeak-ng ends its own


def render(text: str, voice: str, rate: int = 150, cache: Path | None = None) -> Audio:
    """`text` said by `voice` (22,050 Hz mono): an espeak-ng voice at `rate` words per minute,
    or a Piper variant of scripts/speech_material.py (its pace is the variant's; `rate` unused).

    Cached on disk in `cache` (default .cache/spoken/) under a hash of voice, rate, text and
    the espeak-ng or piper-tts version; a hit reads the WAV back and renders nothing."""
    global RENDERS
    cache = CACHE if cache is None else Path(cache)
    piper = family(voice) == "piper"
    engine = _piper_version() if piper else _espeak_version()
    key = hashlib.sha1(f"{engine}|{voice}|{rate}|{text}".encode()).hexdigest()
    path = cache / f"{key[:2]}/{key}.wav"
    if path.exists():
        return read_wav(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        if piper:
            said = piper_say(text, voice, rate=22050)
            write_wav(Path(tmp), Audio(np.concatenate([said.samples, np.zeros(round(PIPER_TAIL * said.rate),
                                                                             np.float32)]), said.rate))
        else:
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", tmp, "--", text],
                           check=True, capture_output=True, timeout=30)
        RENDERS += 1
        audio = read_wav(Path(tmp))
        if not len(audio.samples):
            raise RuntimeError(f"{'Piper' if piper else 'espeak-ng'} made no audio for {text!r} with voice {voice}")
        os.replace(tmp, path)  # atomic: parallel workers may render the same phrase
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return audio


LEAD_IN = 0.25  # seconds of silence before the words, as an endpointer hands over an utterance


def utterance(text: str, voice: str, rate: int = 150) -> Audio:
    """A dev row as the recogniser receives it: spoken by `voice` (contractions restored),
    after LEAD_IN seconds of silence; renders already end with 0.39 s of silence."""
    audio = render(speakable(text), voice, rate)
    lead = np.zeros(round(LEAD_IN * audio.rate), np.float32)
    return Audio(np.concatenate([lead, audio.samples]), audio.rate)


# -- noise -----------------------------------------------------------------------------------------
def active_power(samples: np.ndarray, rate: int, frame_s: float = 0.02, floor_db: float = 30.0) -> float:
    """Mean power of the active part of speech: the 20 ms frames within `floor_db` of the
    loudest frame (a simple stand-in for ITU-T P.56 active level; pauses do not count)."""
    n = max(1, int(frame_s * rate))
    x = samples[: len(samples) // n * n].astype(np.float64)
    if not len(x):
        return 0.0
    power = (x.reshape(-1, n) ** 2).mean(axis=1)
    active = power[power >= power.max() * 10 ** (-floor_db / 10)]
    return float(active.mean()) if len(active) else 0.0


@lru_cache(maxsize=4)
def _babble_streams(rate: int) -> tuple[np.ndarray, ...]:
    """One long talker stream per babble voice: all the chatter sentences, back to back."""
    streams = []
    for i, voice in enumerate(_BABBLE_VOICES):
        order = _CHATTER[i:] + _CHATTER[:i]
        parts = []
        for sentence in order:
            a = render(sentence, voice, 160)
            if a.rate != rate:
                from assistant.audio import resample

                a = resample(a, rate)
            s = a.samples.astype(np.float64)
            parts.append(s / np.sqrt(active_power(s, rate)))  # every talker at the same level
        streams.append(np.concatenate(parts))
    return tuple(streams)


def babble(n: int, rate: int, seed: int, talkers: int = 6) -> np.ndarray:
    """`n` samples of babble: `talkers` espeak-ng talkers (several voices, everyday sentences
    with no intent words) summed at equal level, each from a seeded random offset."""
    rng = np.random.default_rng(seed)
    streams = _babble_streams(rate)
    out = np.zeros(n)
    for k in range(talkers):
        s = streams[k % len(streams)]
        reps = int(np.ceil((n + len(s)) / len(s))) + 1
        loop = np.tile(s, reps)
        start = int(rng.integers(0, len(s)))
        out += loop[start: start + n] * rng.uniform(0.7, 1.0)
    return out


def pink(n: int, seed: int) -> np.ndarray:
    """`n` samples of pink (1/f) noise, shaped in the frequency domain."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(f), n)


def add_noise(audio: Audio, snr_db: float, seed: int = 0, kind: str = "babble") -> Audio:
    """`audio` with noise mixed in at `snr_db`, same length and rate; deterministic by `seed`.

    The noise is babble by default: six espeak-ng talkers in several voices saying everyday
    sentences with no intent words, summed at equal level, plus a pink (1/f) noise floor 15 dB
    below the babble, like a television and a room. `kind="pink"` gives pink noise alone.
    SNR = 10 log10(speech power over its active frames / noise power over the whole clip),
    see `active_power`. If the mix would clip, the whole mix (speech and noise) is scaled
    down together, which keeps the SNR."""
    x = audio.samples.astype(np.float64)
    n = len(x)
    if kind == "babble":
        noise = babble(n, audio.rate, seed)
        noise /= np.sqrt(np.mean(noise ** 2)) or 1.0
        floor = pink(n, seed + 1)
        noise += floor / (np.sqrt(np.mean(floor ** 2)) or 1.0) * 10 ** (-15 / 20)
    elif kind == "pink":
        noise = pink(n, seed)
    else:
        raise ValueError(f"unknown noise kind {kind!r} (babble, pink)")
    speech = active_power(x, audio.rate)
    noise *= np.sqrt(speech / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    mix = x + noise
    peak = np.max(np.abs(mix)) if n else 0.0
    if peak > 0.99:
        mix *= 0.99 / peak
    return Audio(mix.astype(np.float32), audio.rate)
