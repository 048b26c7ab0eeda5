"""Speech to test and benchmark the assistant against, shared by tests/ and scripts/bench.

Users are people: besides espeak-ng's robot voices, spoken input is rendered by the neural
Piper voice that ships with the assistant (en_US-joe-medium, trained on a real speaker). One
voice still gives varied speech: each variant here sets Piper's length scale (pace) and noise
scales (how much the voice wanders in pitch, timbre and timing). Babble noise is six Piper
talkers of those variants saying everyday chatter at once. And a word accuracy, for asking a
recognizer how much of a render it heard.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.audio import Audio, read_wav, resample, trim_silence

# variant -> (length_scale, noise_scale, noise_w_scale): as the voice was trained, slower and
# steadier, quicker and flatter, and more wandering than trained.
PIPER_VARIANTS: dict[str, tuple[float, float, float]] = {
    "joe": (1.0, 0.667, 0.8),
    "joe-slow": (1.25, 0.5, 0.6),
    "joe-quick": (0.85, 0.667, 0.8),
    "joe-loose": (1.1, 0.9, 1.0),
}
CHATTER = (  # no intent words, so the babble cannot vote
    "did anyone remember to pick up the milk on the way home",
    "the bus was late again this morning and it was raining",
    "we could paint the kitchen a lighter colour next spring",
    "my sister is coming over on sunday with the kids",
    "the football match went into extra time last night",
    "there is a new bakery down the road that opens early",
)


@lru_cache(maxsize=1)
def _joe():
    from assistant.speaking import piper_tts

    return piper_tts.load(piper_tts.bundled())


def family(voice: str) -> str:
    """The voice family of a voice name: piper for the variants above, else espeak."""
    return "piper" if voice in PIPER_VARIANTS else "espeak"


def piper_say(text: str, variant: str = "joe", rate: int = 16000) -> Audio:
    """`text` said by the joe voice in `variant`, at `rate` hertz, silence trimmed."""
    from piper import SynthesisConfig

    length, noise, noise_w = PIPER_VARIANTS[variant]
    config = SynthesisConfig(length_scale=length, noise_scale=noise, noise_w_scale=noise_w, volume=0.8)
    voice = _joe()
    parts = [c.audio_float_array for c in voice.synthesize(text, config)]
    samples = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    return resample(trim_silence(Audio(samples, voice.config.sample_rate)), rate)


def espeak_say(text: str, path: Path, voice: str = "en-us", wpm: int = 150, rate: int = 16000) -> Audio:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True)
    return resample(read_wav(path), rate)


def say(text: str, voice: str, folder: Path, rate: int = 16000) -> Audio:
    """`text` in `voice`: a Piper variant name or an espeak-ng voice."""
    if family(voice) == "piper":
        return piper_say(text, voice, rate)
    return espeak_say(text, Path(folder) / "say.wav", voice, rate=rate)


def pcm(audio: Audio) -> np.ndarray:
    """16 kHz int16, what the microphone delivers."""
    return (np.clip(resample(audio, 16000).samples, -1, 1) * 32767).astype(np.int16)


@lru_cache(maxsize=4)
def _talkers(rate: int) -> tuple[np.ndarray, ...]:
    variants = list(PIPER_VARIANTS)
    return tuple(piper_say(" ".join(CHATTER[i:] + CHATTER[:i]), variants[i % len(variants)], rate).samples
                 for i in range(len(CHATTER)))


def babble(n: int, rate: int = 16000, seed: int = 0) -> np.ndarray:
    """`n` samples of six Piper talkers at once, each from a random point of its chatter."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, np.float32)
    for talker in _talkers(rate):
        loop = np.tile(talker, n // len(talker) + 2)
        start = int(rng.integers(0, len(talker)))
        out += loop[start: start + n]
    return out / np.sqrt(len(CHATTER))


def with_babble(speech: Audio, snr_db: float, seed: int = 0) -> Audio:
    """`speech` with babble mixed in at `snr_db` (power over the whole clip)."""
    noise = babble(len(speech.samples), speech.rate, seed)
    gain = np.sqrt(np.mean(speech.samples ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return Audio((speech.samples + gain * noise).astype(np.float32), speech.rate)


def word_accuracy(said: list[str], heard: list[str]) -> float:
    """1 - word error rate over all lines (words normalised as the matcher does), floored at 0."""
    from rapidfuzz.distance import Levenshtein

    from assistant.understanding.normalize import normalize

    errors = words = 0
    for ref, hyp in zip(said, heard):
        r, h = normalize(ref).split(), normalize(hyp).split()
        errors += Levenshtein.distance(r, h)
        words += len(r)
    return max(0.0, 1 - errors / max(1, words))


_PAUSE = __import__("re").compile(r"\s*\[(\d+(?:\.\d+)?)\]\s*")


def hesitant_parts(said: str) -> tuple[list[str], list[float]]:
    """'i think we should [1.1] maybe [0.7] talk' -> (['i think we should', 'maybe', 'talk'], [1.1, 0.7])."""
    pieces = _PAUSE.split(said.strip())
    return [p.strip() for p in pieces[0::2]], [float(x) for x in pieces[1::2]]


def hesitant_say(said: str, variant: str = "joe", rate: int = 16000) -> tuple[Audio, list[tuple[float, float]]]:
    """A sentence with pause marks said as a hesitant person says it: rendered whole by Piper with a
    comma at each mark (so the voice goes on, as before a pause, not down as at the end), then each
    comma's gap stretched to the mark's length. Returns the audio and each pause's (start, end) in
    seconds. When Piper's gaps cannot be found, the parts are said apart with the pauses between."""
    parts, pauses = hesitant_parts(said)
    audio = piper_say(", ".join(parts), variant, rate)
    x = audio.samples
    hop = rate // 100
    rms = np.sqrt(np.convolve(x ** 2, np.ones(hop) / hop, mode="same"))[::hop]
    quiet = rms < max(1e-4, 0.03 * float(np.percentile(rms, 95)))
    gaps, start = [], None
    for i, q in enumerate(quiet):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if i - start >= 5:
                gaps.append((start, i))
            start = None
    gaps = sorted(sorted(gaps, key=lambda g: g[0] - g[1])[: len(pauses)])
    if len(gaps) < len(pauses):  # say the parts apart
        clips = [piper_say(p, variant, rate).samples for p in parts]
        out, spans, t = [clips[0]], [], len(clips[0]) / rate
        for clip, pause in zip(clips[1:], pauses):
            out += [np.zeros(round(pause * rate), np.float32), clip]
            spans.append((t, t + pause))
            t += pause + len(clip) / rate
        return Audio(np.concatenate(out), rate), spans
    out, spans, pos, t = [], [], 0, 0.0
    for (a, b), pause in zip(gaps, pauses):
        mid = (a + b) // 2 * hop
        piece = x[pos:mid]
        out.append(piece)
        t += len(piece) / rate
        start_s = t - (mid - a * hop) / rate  # the gap began before its middle
        filler = max(0, round(pause * rate) - (b - a) * hop)
        out.append(np.zeros(filler, np.float32))
        t += filler / rate
        spans.append((round(start_s, 3), round(t + (b * hop - mid) / rate, 3)))
        pos = mid
    out.append(x[pos:])
    return Audio(np.concatenate(out).astype(np.float32), rate), spans
