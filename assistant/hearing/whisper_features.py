"""Whisper-style log-mel features (80 mels, 8 s at 16 kHz), numpy only, for the turn model.

Vendored from pipecat-ai 1.14.0 (pipecat/audio/turn/smart_turn/_whisper_features.py),
Copyright (c) 2024-2026, Daily, BSD 2-Clause License (assistant/data/licences/); portions derived
from Hugging Face Transformers' WhisperFeatureExtractor (Apache-2.0), Copyright 2022-2023 The
HuggingFace Inc. team and the librosa & torchaudio authors. Modified: names, and 8 s fixed.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RATE = 16000  # hertz
SECONDS = 8  # the window the turn model reads: the last 8 s, zeros before when shorter
N_FFT, HOP, N_MELS = 400, 160, 80
_MEL_FLOOR = 1e-10
_EPS = 1e-7


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    freq = np.atleast_1d(np.asarray(freq, dtype=np.float64))
    mels = 3.0 * freq / 200.0
    high = freq >= 1000.0
    mels[high] = 15.0 + np.log(freq[high] / 1000.0) * (27.0 / np.log(6.4))
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.atleast_1d(np.asarray(mels, dtype=np.float64))
    freq = 200.0 * mels / 3.0
    high = mels >= 15.0
    freq[high] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mels[high] - 15.0))
    return freq


def _mel_filterbank() -> np.ndarray:
    """Slaney-normalised triangular filters, (N_FFT // 2 + 1, N_MELS)."""
    mel_freqs = np.linspace(_hz_to_mel(0.0)[0], _hz_to_mel(RATE / 2.0)[0], N_MELS + 2)
    filter_freqs = _mel_to_hz(mel_freqs)
    fft_freqs = np.linspace(0, RATE // 2, N_FFT // 2 + 1)
    diff = np.diff(filter_freqs)
    slopes = filter_freqs[None, :] - fft_freqs[:, None]
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    filters = np.maximum(0.0, np.minimum(down, up))
    return filters * (2.0 / (filter_freqs[2:N_MELS + 2] - filter_freqs[:N_MELS]))[None, :]


_WINDOW = np.hanning(N_FFT + 1)[:-1]  # periodic Hann, as torch.hann_window
_FILTERS = _mel_filterbank()


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(80, 800) float32 log-mel features of `audio` (16 kHz float, exactly 8 s long: pad first)."""
    x = np.asarray(audio, dtype=np.float32)[: RATE * SECONDS]
    x = np.pad(x, (0, RATE * SECONDS - len(x)))
    x = (x - x.mean()) / np.sqrt(x.var() + _EPS)
    padded = np.pad(x.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="reflect")
    frames = sliding_window_view(padded, N_FFT)[::HOP]
    power = (np.abs(np.fft.rfft(frames * _WINDOW, axis=-1)) ** 2).T
    spec = np.log10(np.maximum(_MEL_FLOOR, _FILTERS.T @ power))[:, :-1]
    spec = np.maximum(spec, spec.max() - 8.0)
    return ((spec + 4.0) / 4.0).astype(np.float32)
