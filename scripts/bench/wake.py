"""Wake word: how often each detector of assistant/hearing/wake.py hears its phrase, how often it wakes on
chatter that does not contain it, and what it costs.

Per detector (the bundled microWakeWord models hey_jarvis and okay_nabu, and two phrases spotted
by PocketSphinx's keyphrase search, "hey coach" and "okay assistant"):
  detection  the wake phrase said 32 times (16 with --quick) at the start of a short request
             ("Hey Jarvis, I need a break."), by the four Piper variants of joe and four espeak-ng
             voices in turn, each after a sentence of chatter in the same voice (so the detector is
             mid-stream, as in the voice loop), clean and at 10 dB SNR in babble (six espeak-ng
             talkers and a pink floor, bench/spoken/audio.add_noise). Heard = the detector fires
             between the start of the phrase and half a second after the request ends.
  false wakes  at least 60 minutes (10 with --quick) of chatter with no wake phrase, fed as one
             stream, and its first 15 minutes (3) with the babble at 10 dB: the room's chatter (tests/data/room_chatter.tsv, when present: arguments,
             make-ups, near misses of the intents), the blind set's requests (tests/data/blind.tsv)
             and CLINC150's out-of-scope queries, round-robin, by the same eight voices in turn,
             0.3-1.5 s apart.
  cost       CPU seconds (process time, all threads) per second of audio over that chatter; load time.

Every sentence is scaled to the same speech level. Renders are cached in .cache/wake/.

Run alone: cd scripts && ../.venv/bin/python -m bench.wake [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from evaluate import DATA, OOS, read_tsv

from . import ROOT
from .common import Run

CACHE = ROOT / ".cache" / "wake"
# spec -> how it is written for the voices. Two phrases for PocketSphinx: a short one that fits the
# product, and a longer one (more phones to match, so a surer match).
DETECTORS = {"hey_jarvis": "Hey Jarvis", "okay_nabu": "Okay Nabu", "hey coach": "Hey coach",
             "okay assistant": "Okay assistant"}
VOICES = ("joe", "en-us", "joe-slow", "en-gb", "joe-quick", "en-us+f2", "joe-loose", "en-gb-x-rp")
REQUESTS = ("I need a break.", "help me apologize.", "explain step three.", "what's the next step?",
            "how much longer?", "stop.", "go back.", "can we take a time-out?")
SNRS = (None, 10.0)  # clean, then 10 dB in babble
LEVEL = 0.1  # active RMS every sentence is scaled to (-20 dBFS)
RATE = 16000
FRAME = 480


def say(text: str, voice: str):
    """`text` in `voice` at 16 kHz, scaled to LEVEL over its active frames; cached on disk."""
    from assistant.audio import Audio, resample

    from .spoken.audio import active_power, render

    audio = resample(render(text, voice, 150, cache=CACHE), RATE)
    power = active_power(audio.samples, RATE)
    return Audio((audio.samples * (LEVEL / np.sqrt(power)) if power > 0 else audio.samples).astype(np.float32), RATE)


def to_pcm(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


def chatter_texts() -> list[str]:
    """The chatter sentences, the three sources round-robin (so a shorter run samples each)."""
    sources = [[r["text"] for r in read_tsv(path)] for path in (DATA / "room_chatter.tsv", DATA / "blind.tsv", OOS)
               if path.exists()]
    out = []
    for k in range(max(len(s) for s in sources)):
        out += [s[k] for s in sources if k < len(s)]
    return out


def chatter(minutes: float, progress=None) -> tuple[np.ndarray, list[str]]:
    """At least `minutes` of chatter as one int16 stream, and the sentences said."""
    rng = np.random.default_rng(0)
    parts, said, total = [], [], 0
    for k, text in enumerate(chatter_texts()):
        if total >= minutes * 60 * RATE:
            break
        x = to_pcm(say(text, VOICES[k % len(VOICES)]).samples)
        gap = np.zeros(int(rng.uniform(0.3, 1.5) * RATE), np.int16)
        parts += [x, gap]
        said.append(text)
        total += len(x) + len(gap)
        if progress and k % 200 == 199:
            progress(f"wake word: chatter rendered, {total / RATE / 60:.1f} of {minutes:g} minutes")
    return np.concatenate(parts), said


def positives(spec: str, n: int, snr: float | None) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One stream of `n` requests starting with the wake phrase, each after a chatter sentence in the
    same voice; and each phrase's window (first sample, last sample + 0.5 s) where it counts as heard."""
    from assistant.audio import Audio

    from .spoken.audio import add_noise

    leads = [t for t in chatter_texts() if len(t.split()) >= 5][:n]
    parts, windows, at = [], [], 0
    for i in range(n):
        voice = VOICES[(i + i // len(VOICES)) % len(VOICES)]
        lead = say(leads[i], voice).samples
        wake = say(f"{DETECTORS[spec]}, {REQUESTS[i % len(REQUESTS)]}", voice).samples
        pause, tail = np.zeros(int(0.6 * RATE), np.float32), np.zeros(RATE, np.float32)
        clip = np.concatenate([lead, pause, wake, tail])
        if snr is not None:
            clip = add_noise(Audio(clip, RATE), snr, seed=i).samples
        start = at + len(lead) + len(pause)
        windows.append((start, start + len(wake) + RATE // 2))
        parts.append(clip)
        at += len(clip)
    return to_pcm(np.concatenate(parts)), windows


def noisy(stream: np.ndarray, minutes: float, snr: float = 10.0) -> np.ndarray:
    """The first `minutes` of the chatter with babble at `snr` dB, mixed 30 s at a time."""
    from assistant.audio import Audio

    from .spoken.audio import add_noise

    step, out = 30 * RATE, []
    for k, i in enumerate(range(0, min(len(stream), int(minutes * 60 * RATE)), step)):
        chunk = Audio(stream[i:i + step].astype(np.float32) / 32767, RATE)
        out.append(to_pcm(add_noise(chunk, snr, seed=1000 + k).samples))
    return np.concatenate(out)


def fires(detector, pcm: np.ndarray) -> list[int]:
    """The sample positions (end of the block) where the detector fired."""
    out = []
    for i in range(0, len(pcm) - FRAME + 1, FRAME):
        if detector.process(pcm[i:i + FRAME]):
            out.append(i + FRAME)
    return out


def measure(spec: str, quick: bool, stream: np.ndarray, in_noise: np.ndarray, progress=None) -> dict:
    from assistant.hearing.wake import load_wake_word

    n = 16 if quick else 32
    t = time.perf_counter()
    detector = load_wake_word(spec)
    r = {"load_s": time.perf_counter() - t, "n": n,
         "setting": f"threshold {detector.threshold:.0e}" if hasattr(detector, "threshold") else f"cut-off {detector.cutoff:.2f}"}
    for snr in SNRS:
        pcm, windows = positives(spec, n, snr)
        detector.reset()
        hits = fires(detector, pcm)
        r[("heard", snr)] = [any(a <= h <= b for h in hits) for a, b in windows]
        r[snr] = sum(r[("heard", snr)])
        r[("lead", snr)] = sum(not any(a <= h <= b for a, b in windows) for h in hits)  # woke on the chatter before
    detector.reset()
    cpu = time.process_time()
    hits = fires(detector, stream)
    r["cpu"] = (time.process_time() - cpu) / (len(stream) / RATE)
    r["false"] = len(hits)
    r["false_at"] = [h / RATE for h in hits]
    detector.reset()
    r["false_noise"] = len(fires(detector, in_noise))
    if progress:
        progress(f"wake word: {spec}: {r[None]}/{n} clean, {r[10.0]}/{n} at 10 dB, {len(hits)} false wakes, "
                 f"{r['false_noise']} in noise")
    return r


def recommend(results: dict[str, dict], hours: float, noise_hours: float) -> str:
    """The detector to suggest: the most heard in noise among those waking falsely at most once an
    hour, clean and in babble; ties broken by heard clean, then by fewer false wakes."""
    ok = [s for s, r in results.items()
          if r["false"] / hours <= 1 and r["false_noise"] / noise_hours <= 1] or list(results)
    return max(ok, key=lambda s: (results[s][10.0], results[s][None], -results[s]["false"] - results[s]["false_noise"]))


def section(run: Run) -> list[str]:
    minutes = 10 if run.quick else 60
    run.progress(f"wake word: rendering {minutes} minutes of chatter (cached in {CACHE.relative_to(ROOT)}/)")
    stream, said = chatter(minutes, run.progress)
    hours = len(stream) / RATE / 3600
    in_noise = noisy(stream, 3 if run.quick else 15)
    noise_hours = len(in_noise) / RATE / 3600
    results = {}
    for spec in DETECTORS:
        run.progress(f"wake word: {spec}")
        results[spec] = measure(spec, run.quick, stream, in_noise, run.progress)
    best = recommend(results, hours, noise_hours)
    lines = ["## Wake word (optional)", "",
             "Each detector of `assistant/hearing/wake.py` at its default sensitivity (0.5): the microWakeWord models with "
             "their own probability cut-offs, the phrases spotted by PocketSphinx's keyphrase search at 1e-4 per "
             "phone. Heard: the wake phrase said at the start of a short request (\"Hey Jarvis, I need a break.\"), "
             "each after a sentence of chatter in the same voice, by four Piper variants of joe and four espeak-ng "
             "voices in turn; then the same at 10 dB SNR in babble (six espeak-ng talkers and a pink floor). False "
             f"wakes: {len(stream) / RATE / 60:.0f} minutes of chatter with no wake phrase ({len(said)} sentences: "
             "the room's chatter, the blind set's requests and CLINC150's out-of-scope queries, round-robin, the same "
             f"eight voices), fed as one stream; and its first {noise_hours * 60:.0f} minutes with the babble at 10 dB. "
             "CPU: process time (all threads) over the clean stream per second of audio, on this machine.", "",
             "| detector | setting | heard, clean (Piper / espeak-ng) | heard, 10 dB babble (Piper / espeak-ng) | "
             "false wakes / hour, clean | false wakes / hour, 10 dB babble | CPU s per s of audio | load s |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for spec, r in results.items():
        mark = "**" if spec == best else ""
        heard = {snr: "{}/{} ({:.0%}; {} / {})".format(r[snr], r["n"], r[snr] / r["n"], *family_split(r[("heard", snr)]))
                 for snr in SNRS}
        lines.append(f"| {mark}{spec}{mark} | {r['setting']} | {heard[None]} | {heard[10.0]} | "
                     f"{r['false'] / hours:.1f} ({r['false']} in {hours * 60:.0f} min) | "
                     f"{r['false_noise'] / noise_hours:.0f} ({r['false_noise']} in {noise_hours * 60:.0f} min) | "
                     f"{r['cpu']:.4f} | {r['load_s']:.2f} |")
    lines += ["", "Woken outside the phrase's window while it was tested (on the chatter sentence before it): "
              + "; ".join(f"{s} {r[('lead', None)]} clean, {r[('lead', 10.0)]} in noise" for s, r in results.items())
              + ". False wakes, seconds into the chatter: "
              + "; ".join(f"{s} {', '.join(f'{t:.0f}' for t in r['false_at']) or 'none'}" for s, r in results.items()) + ".",
              "", f"Recommended from these figures: **{best}** (the most heard in noise among the detectors waking "
              "falsely at most once an hour, clean and in babble).", ""]
    run.shared["wake"] = {"best": best, "results": results}
    return lines


def family_split(heard: list[bool]) -> tuple[str, str]:
    """Heard by the Piper variants and by the espeak-ng voices, as 'hits/total' (the order of positives)."""
    from speech_material import family

    counts = {"piper": [0, 0], "espeak": [0, 0]}
    for i, h in enumerate(heard):
        c = counts[family(VOICES[(i + i // len(VOICES)) % len(VOICES)])]
        c[0] += h
        c[1] += 1
    return tuple(f"{c[0]}/{c[1]}" for c in counts.values())


if __name__ == "__main__":
    from .common import progress_printer

    print("\n".join(section(Run(None, "--quick" in sys.argv, DATA / "unused.md", "wake", progress_printer(), 0.0))))
