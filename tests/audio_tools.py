"""Measuring real audio in tests: onsets by energy, speech length."""

from __future__ import annotations

import numpy as np

from assistant.audio import Audio


def envelope(audio: Audio, hop: float = 0.005) -> tuple[np.ndarray, float]:
    """RMS per frame, and the true frame hop in seconds (a whole number of samples)."""
    n = max(1, round(hop * audio.rate))
    frames = len(audio.samples) // n
    x = audio.samples[: frames * n].reshape(frames, n)
    return np.sqrt((x ** 2).mean(axis=1)), n / audio.rate


def onsets(audio: Audio, level: float = 0.004, quiet: float = 0.08, hop: float = 0.005) -> list[float]:
    """Times (s) where sound starts after at least `quiet` seconds below `level` RMS."""
    env, hop = envelope(audio, hop)
    env = env > level
    need = round(quiet / hop)
    out, silent = [], need
    for i, loud in enumerate(env):
        if loud:
            if silent >= need:
                out.append(i * hop)
            silent = 0
        else:
            silent += 1
    return out


def sounding_seconds(audio: Audio, level: float = 0.004, hop: float = 0.005) -> float:
    env, hop = envelope(audio, hop)
    return float((env > level).sum() * hop)


def longest_quiet(audio: Audio, level: float = 0.004, hop: float = 0.005) -> float:
    """The longest stretch (s) below `level` RMS, between the first and last sound."""
    env, hop = envelope(audio, hop)
    loud = np.flatnonzero(env > level)
    if len(loud) < 2:
        return 0.0
    return float((np.diff(loud).max() - 1) * hop)
