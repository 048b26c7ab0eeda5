"""Audio values and files: mono float32 samples with their rate, WAV in and out, tones; and the
sound devices by name (hearing's microphone and speaking's output look them up the same way)."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import AudioUnavailable, InputError


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono, -1..1
    rate: int  # hertz

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @staticmethod
    def silence(seconds: float, rate: int) -> "Audio":
        return Audio(np.zeros(max(0, round(seconds * rate)), dtype=np.float32), rate)


MIN_RATE = 1000  # hertz: a WAV header claiming less is not audio (and would resample without end)


def read_wav(data: bytes | Path, what: str = "audio", max_seconds: float | None = None) -> Audio:
    """Decode 8/16/32-bit PCM WAV (any channels) to mono float32.

    A file cut short is decoded as far as it goes (its header may promise more frames);
    with `max_seconds`, a longer file is refused after reading only that much of it."""
    try:
        src = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else open(data, "rb")
        with src:
            if not src.read(1):
                raise InputError(f"{what} is not a readable WAV file (the file is empty, 0 bytes)")
            src.seek(0)
            with wave.open(src, "rb") as w:
                width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
                if rate < MIN_RATE:
                    raise InputError(f"{what} has a sample rate of {rate} Hz; a WAV file needs at least {MIN_RATE} Hz")
                frames = w.getnframes() if max_seconds is None else min(w.getnframes(), int(max_seconds * rate) + 1)
                raw = w.readframes(frames)
    except (wave.Error, EOFError, OSError) as exc:
        if str(exc).startswith("unknown format: 3"):
            raise InputError(f"{what} has 32-bit float samples; only 8, 16 and 32-bit PCM are supported") from None
        why = str(exc) or "it ends before its WAV header does"
        raise InputError(f"{what} is not a readable WAV file ({why})") from None
    raw = raw[: len(raw) // (width * channels) * (width * channels)]  # whole frames only
    if max_seconds is not None and len(raw) // (width * channels) > max_seconds * rate:
        raise InputError(f"{what} is longer than {max_seconds:g} seconds; cut it shorter")
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648
    else:
        raise InputError(f"{what} has {width * 8}-bit samples; only 8, 16 and 32-bit PCM are supported")
    if channels > 1:
        x = x[: len(x) // channels * channels].reshape(-1, channels).mean(axis=1)
    return Audio(x.astype(np.float32), rate)


def write_wav(path: Path, audio: Audio) -> None:
    pcm = (np.clip(audio.samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio.rate)
        w.writeframes(pcm.tobytes())


def resample(audio: Audio, rate: int) -> Audio:
    """Linear-interpolation resampling (speech cues and tones; not for music)."""
    if audio.rate == rate or not len(audio.samples):
        return Audio(audio.samples, rate)
    n = round(len(audio.samples) * rate / audio.rate)
    t = np.linspace(0, len(audio.samples) - 1, n)
    return Audio(np.interp(t, np.arange(len(audio.samples)), audio.samples).astype(np.float32), rate)


def resample_whole(audio: Audio, rate: int) -> Audio:
    """Band-limited resampling of a whole recording (by FFT): nothing folds down going down, no
    images going up. For speech a recognizer will hear from a file, where linear interpolation's
    aliasing and images cost words (a telephone recording at 8 kHz lost most of them)."""
    x = audio.samples
    if audio.rate == rate or not len(x):
        return Audio(x, rate)
    pad = audio.rate // 10  # 0.1 s of silence each side, so the transform's wrap-around meets silence
    padded = np.concatenate([np.zeros(pad), x.astype(np.float64), np.zeros(pad)])
    n, m = len(padded), round(len(padded) * rate / audio.rate)
    spectrum = np.fft.rfft(padded)
    out = np.zeros(m // 2 + 1, dtype=complex)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    y = np.fft.irfft(out, m) * (m / n)
    cut = round(pad * rate / audio.rate)
    return Audio(y[cut: cut + round(len(x) * rate / audio.rate)].astype(np.float32), rate)


def tone(frequency: float, seconds: float, rate: int, level: float = 0.18) -> Audio:
    """A soft sine chime with a raised-cosine envelope (no clicks, no sound files)."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    envelope = np.sin(np.pi * np.arange(n) / max(1, n - 1)) ** 2
    return Audio((level * envelope * np.sin(2 * np.pi * frequency * t)).astype(np.float32), rate)


def fit(audio: Audio, seconds: float, fade: float = 0.03) -> Audio:
    """Cut to at most `seconds`, fading the end out so the cut is not a click."""
    n = round(seconds * audio.rate)
    if len(audio.samples) <= n:
        return audio
    out = audio.samples[:n].copy()
    k = min(n, round(fade * audio.rate))
    if k:
        out[-k:] *= np.linspace(1, 0, k, dtype=np.float32)
    return Audio(out, audio.rate)


def trim_silence(audio: Audio, level: float = 0.01) -> Audio:
    """Drop leading and trailing near-silence (espeak pads its renders)."""
    loud = np.flatnonzero(np.abs(audio.samples) > level)
    if not len(loud):
        return Audio(audio.samples[:0], audio.rate)
    return Audio(audio.samples[loud[0]: loud[-1] + 1], audio.rate)


def find_device(device: str | int | None, kind: str):
    """`device` (a sounddevice name or index, digits as an index) checked to exist as an input or
    output (`kind`); None is the system's default. AudioUnavailable when there is no such device."""
    import sounddevice as sd

    if device is None:
        return None
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    try:
        sd.query_devices(device, kind)
    except (ValueError, sd.PortAudioError) as exc:
        raise AudioUnavailable(f"{kind} device {device!r} not found ({exc}); `assistant devices` lists them") from None
    return device
