#!/usr/bin/env python3
"""Spoken accuracy: the dev phrases said by espeak-ng voices, in quiet and in noise, recognised
by each engine with and without intent biasing, then matched to an intent.

Usage: .venv/bin/python scripts/spoken.py [--quick] [--voices en-us,en-gb,...] [--snrs clean,20,10]
                                          [--split test|tune|all] [--voices-per-phrase 1|...|all]
                                          [--workers N] [--show-errors]

A phrase counts as right when the matcher, given the engine's transcript, picks the phrase's
intent (a dev row with intent "null" is right when nothing is picked). Slots are not scored.
The same phrases typed (no speech at all) give the ceiling.

Each phrase is said by one of the voices in turn (--voices-per-phrase; 'all' for every voice,
five times the run time): decoding noisy audio with PocketSphinx's free-form model takes one
to two seconds a phrase, so every voice x every phrase x 3 SNRs x 2 engines would take most of
an hour on 2 cores. --quick: 40 phrases stratified over the intents of the held-out (test)
split, about 4.5 CPU-minutes (2.5 minutes on 2 idle cores); the full run: the whole held-out
split (222 phrases), about 25 CPU-minutes (12-13 minutes on 2 idle cores).

Noise: babble of six espeak-ng talkers plus a pink floor (see add_noise). PocketSphinx's
cepstral mean is reset before every phrase to its value after three warm-up sentences from
the same voice (see spoken_accuracy), so results do not depend on order or on workers.

Renders are cached on disk in .cache/spoken/ (keyed by voice, rate, text and espeak-ng
version), so a rerun only decodes. The decoding runs in --workers processes (2).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from collections.abc import Callable, Iterable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import dev_rows  # noqa: E402

from assistant.audio import Audio, read_wav  # noqa: E402

CACHE = ROOT / ".cache" / "spoken"
# Two US voices (one female), two British (RP and Scottish), one Caribbean.
VOICES = ("en-us", "en-us+f3", "en-gb-x-rp", "en-gb-scotland", "en-029")
SNRS: tuple[float | None, ...] = (None, 20.0, 10.0)  # None: clean
RENDERS = 0  # espeak-ng runs in this process (cache misses), for tests and reports

# The dev set is written the way a recogniser prints ("im", "dont"); a person says "I'm", "don't".
# Only unambiguous ones are restored ("were" and "its" are left as written).
_SAY = {"im": "I'm", "dont": "don't", "cant": "can't", "wont": "won't", "isnt": "isn't",
        "doesnt": "doesn't", "havent": "haven't", "whats": "what's", "youre": "you're",
        "thats": "that's", "lets": "let's", "hes": "he's", "shes": "she's", "theres": "there's",
        "id": "I'd", "didnt": "didn't", "wasnt": "wasn't", "arent": "aren't", "ive": "I've",
        "theyre": "they're", "couldnt": "couldn't", "wouldnt": "wouldn't", "shouldnt": "shouldn't"}

# Everyday chatter for the babble noise: no intent words, so the noise cannot vote.
_CHATTER = (
    "did anyone remember to pick up the milk on the way home",
    "the bus was late again this morning and it was raining",
    "we could paint the kitchen a lighter colour next spring",
    "my sister is coming over on sunday with the kids",
    "the football match went into extra time last night",
    "there is a new bakery down the road that opens early",
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


def render(text: str, voice: str, rate: int = 150, cache: Path | None = None) -> Audio:
    """`text` said by espeak-ng voice `voice` at `rate` words per minute (22,050 Hz mono).

    Cached on disk in `cache` (default .cache/spoken/) under a hash of voice, rate, text and
    the espeak-ng version; a hit reads the WAV back and runs no espeak-ng."""
    global RENDERS
    cache = CACHE if cache is None else Path(cache)
    key = hashlib.sha1(f"{_espeak_version()}|{voice}|{rate}|{text}".encode()).hexdigest()
    path = cache / f"{key[:2]}/{key}.wav"
    if path.exists():
        return read_wav(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", tmp, "--", text],
                       check=True, capture_output=True, timeout=30)
        RENDERS += 1
        audio = read_wav(Path(tmp))
        if not len(audio.samples):
            raise RuntimeError(f"espeak-ng wrote no audio for {text!r} with voice {voice}")
        os.replace(tmp, path)  # atomic: parallel workers may render the same phrase
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return audio


LEAD_IN = 0.25  # seconds of silence before the words, as an endpointer hands over an utterance


def utterance(text: str, voice: str, rate: int = 150) -> Audio:
    """A dev row as the recogniser receives it: spoken by `voice` (contractions restored),
    after LEAD_IN seconds of silence; espeak-ng already ends its renders with 0.39 s of silence."""
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


# -- measuring -------------------------------------------------------------------------------------
def is_biased(engine) -> bool:
    """Whether an engine decodes with the intents (PocketSphinx LM, Vosk grammar)."""
    return bool(getattr(engine, "biased", False) or getattr(engine, "grammar", None))


def snr_label(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:g} dB"


def voice_rows(rows: list[dict], voices: list[str], voice: str, voices_per_phrase: int | None) -> list[dict]:
    """The rows `voice` says (all of them, or its turn when each row gets k voices)."""
    if not voices_per_phrase or voices_per_phrase >= len(voices):
        return list(rows)
    v = voices.index(voice)
    return [r for i, r in enumerate(rows) if (v - i) % len(voices) < voices_per_phrase]


def _seed(seed: int, voice: str, snr: float | None, text: str) -> int:
    return zlib.crc32(f"{seed}|{voice}|{snr}|{text}".encode())


# No intent words (the first three babble sentences, in another voice here).
WARM_UP = ("the garden needs watering before the weekend", "the film was much longer than i expected",
           "did anyone remember to pick up the milk on the way home")


@lru_cache(maxsize=1)
def _listener():
    """A PocketSphinx decoder with the engines' default acoustic front-end and a cheap
    keyphrase search: it only listens, to compute the warmed-up cepstral mean."""
    import pocketsphinx

    return pocketsphinx.Decoder(samprate=16000, keyphrase="hello", loglevel="FATAL")


@lru_cache(maxsize=64)
def warm_cmn(voice: str, snr: float | None, seed: int = 0, rate: int = 150) -> str:
    """The cepstral mean PocketSphinx reaches after the WARM_UP sentences from `voice` in the
    same noise, starting from freshly initialised features, fed in the same 0.1 s chunks as
    `transcribe`. The mean depends on the audio and the front-end only, not on the search, so
    one cheap listener computes it for every PocketSphinx engine (13 times faster than letting
    the free-form engine decode the sentences, with the same mean to the last digit)."""
    from assistant.recognize import RATE, to_pcm16

    decoder = _listener()
    decoder.reinit_feat()
    step = int(0.1 * RATE)
    for text in WARM_UP:
        audio = utterance(text, voice, rate)
        if snr is not None:
            audio = add_noise(audio, snr, _seed(seed, voice, snr, text))
        pcm = to_pcm16(audio)
        decoder.start_utt()
        for i in range(0, len(pcm), step):
            decoder.process_raw(pcm[i:i + step].tobytes(), False, False)
        decoder.end_utt()
    return decoder.get_cmn()


def _carries_cmn(engine) -> bool:
    decoder = getattr(engine, "decoder", None)
    return decoder is not None and hasattr(decoder, "set_cmn") and hasattr(decoder, "reinit_feat")


def _right(app, text: str, want: str | None) -> tuple[bool, str | None]:
    got = app.matcher.match(text).intent
    return got == want, got


def typed_accuracy(app, rows: list[dict]) -> dict:
    """The ceiling: the same phrases typed, straight to the matcher."""
    right, errors, null_acc = 0, [], 0
    for r in rows:
        ok, got = _right(app, r["text"], r["intent"])
        right += ok
        null_acc += r["intent"] is None and got is not None
        if not ok:
            errors.append((r["text"], r["text"], got, r["intent"]))
    return {"label": "typed", "engine": "typed (no speech)", "biased": None, "voice": "-", "snr": None,
            "n": len(rows), "correct": right, "accuracy": right / max(1, len(rows)),
            "n_null": sum(r["intent"] is None for r in rows), "null_accepted": null_acc,
            "second_pass": 0, "decode_ms": None, "xrt": None, "errors": errors}


def spoken_accuracy(app, engines: dict, rows: list[dict], voices: Iterable[str],
                    snrs: Iterable[float | None] = SNRS, progress: Callable[[str], None] | None = None,
                    seed: int = 0, rate: int = 150, typed: bool = True,
                    voices_per_phrase: int | None = None) -> list[dict]:
    """Render the rows with the voices, add noise at every SNR (None = clean), transcribe
    with every engine, match the transcript; one result dict per engine x voice x SNR.

    Every voice says every row, unless `voices_per_phrase` is k: then row i is said by k of
    the voices in turn (voices[i % V], voices[(i + 1) % V], ...), which divides the cost by
    V / k and still gives every voice a spread of intents (rows stratified or in file order).
    The noise at each voice, SNR and row is the same for every engine.

    PocketSphinx carries its cepstral mean (CMN) from one utterance to the next, so a phrase's
    result would depend on the phrases decoded before it (and on how work is split between
    processes). So before every phrase its features are initialised afresh and its cepstral
    mean set to the value reached after hearing the three WARM_UP sentences in the same voice
    and noise (`warm_cmn`): every phrase is decoded as if it came right after those sentences,
    whatever the order. (The cold default mean instead costs about 20 points of clean
    accuracy.) Engines with no such state (Vosk: a new recogniser per utterance) are untouched.

    Result keys:
    label (the engines key), engine (its .name), biased, voice, snr, n, correct, accuracy,
    n_null / null_accepted (out-of-scope rows given an intent), second_pass (transcripts that
    came from the free-form pass of a biased engine), decode_ms (median time to finish after
    the audio ended, Transcript.decode_s), xrt (median processing time / audio length),
    errors [(said, heard, got, want)]. With `typed`, a first row gives the typed ceiling."""
    from assistant.recognize import transcribe

    voices, snrs = list(voices), list(snrs)
    results = [typed_accuracy(app, rows)] if typed else []
    for voice in voices:
        said = voice_rows(rows, voices, voice, voices_per_phrase)
        clean = [utterance(r["text"], voice, rate) for r in said]
        for snr in snrs:
            t0 = time.perf_counter()
            warm = {label: warm_cmn(voice, snr, seed, rate) if _carries_cmn(engine) else None
                    for label, engine in engines.items()}
            acc = {label: {"correct": 0, "null_accepted": 0, "second_pass": 0, "decode": [],
                           "xrt": [], "errors": []} for label in engines}
            for r, audio in zip(said, clean):
                heard_audio = audio if snr is None else add_noise(audio, snr, _seed(seed, voice, snr, r["text"]))
                for label, engine in engines.items():
                    if warm[label] is not None:  # as if this phrase came right after the warm-up
                        engine.decoder.reinit_feat()
                        engine.decoder.set_cmn(warm[label])
                    t = time.perf_counter()
                    tr = transcribe(engine, heard_audio)
                    spent = time.perf_counter() - t
                    ok, got = _right(app, tr.text, r["intent"])
                    a = acc[label]
                    a["correct"] += ok
                    a["null_accepted"] += r["intent"] is None and got is not None
                    a["second_pass"] += is_biased(engine) and not tr.biased
                    a["decode"].append(tr.decode_s * 1000)
                    a["xrt"].append(spent / max(1e-9, heard_audio.seconds))
                    if not ok:
                        a["errors"].append((r["text"], tr.text, got, r["intent"]))
            for label, engine in engines.items():
                a = acc[label]
                results.append({
                    "label": label, "engine": engine.name, "biased": is_biased(engine), "voice": voice,
                    "snr": snr, "n": len(said), "correct": a["correct"],
                    "accuracy": a["correct"] / max(1, len(said)),
                    "n_null": sum(r["intent"] is None for r in said), "null_accepted": a["null_accepted"],
                    "second_pass": a["second_pass"],
                    "decode_ms": statistics.median(a["decode"]) if a["decode"] else None,
                    "xrt": statistics.median(a["xrt"]) if a["xrt"] else None, "errors": a["errors"]})
            if progress:
                summary = ", ".join(f"{label} {acc[label]['correct']}/{len(said)}" for label in engines)
                progress(f"spoken: {voice} {snr_label(snr)}: {summary} ({time.perf_counter() - t0:.0f} s)")
    return results


# -- engines ---------------------------------------------------------------------------------------
def default_engines(app) -> tuple[dict, list[dict]]:
    """PocketSphinx biased and free-form, and Vosk the same when an English model is found.
    Returns (engines by label, skipped rows for engines that could not be measured)."""
    from assistant.recognize import PocketSphinxEngine, VoskEngine

    phrases = [s.text for s in app.catalogue.sentences]
    engines = {
        "pocketsphinx biased": PocketSphinxEngine(
            phrases=phrases, second_opinion=lambda t: app.matcher.match(t).intent is not None),
        "pocketsphinx free": PocketSphinxEngine(phrases=None),
    }
    skipped = []
    model, why = None, ""
    try:
        from assistant.models import find_model
    except ImportError:
        why = "no English model found (assistant.models.find_model is not available)"
    else:
        try:
            found = find_model(None)
        except Exception as exc:  # noqa: BLE001 - a bad ASSISTANT_VOSK_MODEL, say; report, do not crash
            found, why = None, f"no English model found ({exc})"
        where = ""
        if isinstance(found, tuple):  # (path or None, where it looked / found it)
            found, where = found
        if found is None:
            why = why or f"no English model found ({where or 'assistant.models.find_model(None) found none'})"
        elif "en" not in Path(found).name.lower().replace("_", "-").split("-"):
            why = f"no English model found (the model found, {Path(found).name}, is not English)"
        else:
            model = Path(found)
    if model is not None:
        try:
            engines["vosk biased"] = VoskEngine(model, phrases=phrases)
            engines["vosk free"] = VoskEngine(model)
        except Exception as exc:  # noqa: BLE001
            engines.pop("vosk biased", None)
            why = f"model {model} could not be loaded ({exc})"
            model = None
    if model is None:
        skipped.append({"label": "vosk", "engine": "vosk", "skipped": why})
    return engines, skipped


_WORKER: dict = {}


def _init_worker(settings) -> None:
    from assistant.app import build

    app = build(match=settings)
    engines, skipped = default_engines(app)
    _WORKER.update(app=app, engines=engines, skipped=skipped)


def _task(rows, voice, snr, seed, rate, voices, voices_per_phrase):
    said = voice_rows(rows, voices, voice, voices_per_phrase)
    return spoken_accuracy(_WORKER["app"], _WORKER["engines"], said, [voice], [snr], seed=seed,
                           rate=rate, typed=False), _WORKER["skipped"]


def measure(app, rows: list[dict], voices: Iterable[str] = VOICES, snrs: Iterable[float | None] = SNRS,
            workers: int = 2, progress: Callable[[str], None] | None = None, seed: int = 0,
            rate: int = 150, voices_per_phrase: int | None = 1) -> list[dict]:
    """default_engines over rows x voices x SNRs (see spoken_accuracy for voices_per_phrase;
    1 by default: each row said by one voice in turn), in `workers` spawned processes, each
    building its own assistant (default intents, app's match settings) and engines, one task
    per voice and SNR. Returns the typed ceiling, the spoken_accuracy rows, and a row for each
    engine that could not be measured."""
    voices, snrs = list(voices), list(snrs)
    say = progress or (lambda msg: None)
    for voice in voices:  # render in this process first, so the workers only read the cache
        for r in voice_rows(rows, voices, voice, voices_per_phrase):
            render(speakable(r["text"]), voice, rate)
    _babble_streams(22050)
    results = [typed_accuracy(app, rows)]
    if workers <= 1:
        engines, skipped = default_engines(app)
        results += spoken_accuracy(app, engines, rows, voices, snrs, progress, seed, rate, typed=False,
                                   voices_per_phrase=voices_per_phrase)
        return results + skipped
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    tasks = [(voice, snr) for snr in reversed(snrs) for voice in voices]  # noisiest (slowest) first
    done, skipped = 0, []
    with ProcessPoolExecutor(workers, mp.get_context("spawn"), _init_worker, (app.matcher.settings,)) as pool:
        futures = {pool.submit(_task, rows, voice, snr, seed, rate, voices, voices_per_phrase): (voice, snr)
                   for voice, snr in tasks}
        for future in as_completed(futures):
            part, skipped = future.result()
            results += part
            done += 1
            voice, snr = futures[future]
            say(f"spoken: {voice} {snr_label(snr)}: " + ", ".join(f"{p['label']} {p['correct']}/{p['n']}"
                                                                  for p in part) + f" ({done}/{len(tasks)})")
    order = {key: i for i, key in enumerate((v, s) for v in voices for s in snrs)}
    spoken = sorted(results[1:], key=lambda p: order[(p["voice"], p["snr"])])
    return results[:1] + spoken + skipped


# -- report ----------------------------------------------------------------------------------------
COLUMNS = ("engine", "intent-biased", "SNR", "accuracy (mean of voices)", "worst voice", "biased / free-form",
           "out-of-scope given an intent", "biased pass rejected, decoded again free-form",
           "decode ms after audio end (median)", "processing / audio length (median)")


def markdown_table(results: list[dict], command: str = "scripts/spoken.py", phrases: str = "") -> list[str]:
    """Per engine x biased x SNR: accuracy averaged over the voices, the worst voice, what
    biasing buys (biased / free-form accuracy), out-of-scope phrases given an intent, how often
    the biased pass fell back to free-form, and decode cost; a note line first, the typed
    ceiling as the first row and a row for each engine that was not measured."""
    spoken = [r for r in results if "skipped" not in r and r["voice"] != "-"]
    typed = [r for r in results if r.get("voice") == "-"]
    voices = list(dict.fromkeys(r["voice"] for r in spoken))
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in spoken:
        groups[(r["label"], r["engine"], r["biased"], r["snr"])].append(r)
    total = typed[0]["n"] if typed else max((r["n"] for r in spoken), default=0)
    said = sum(r["n"] for r in next(iter(groups.values()), []))
    per_phrase = round(said / total) if total else 0
    snrs = list(dict.fromkeys(snr_label(r["snr"]) for r in spoken))

    def mean_acc(rs):
        return sum(r["accuracy"] for r in rs) / len(rs)

    who = (f"each said by all {len(voices)} espeak-ng voices" if per_phrase >= len(voices) else
           f"each said by {per_phrase} of {len(voices)} espeak-ng voices in turn (about {said // max(1, len(voices))} a voice)")
    note = (f"Command: `{command}`. {total} dev phrases{' (' + phrases + ')' if phrases else ''}, {who}: "
            f"{', '.join(voices)}; 150 wpm, {LEAD_IN:g} s lead-in; {', '.join(snrs)} (babble of six talkers "
            "plus a pink floor, SNR over the active speech). Right = the matcher picks the phrase's intent "
            "from the transcript (nothing, for an out-of-scope phrase).")
    lines = [note,
             "",
             "| " + " | ".join(COLUMNS) + " |",
             "|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in typed:
        lines.append(f"| typed text (ceiling) | - | - | {r['accuracy']:.1%} | - | - | "
                     f"{r['null_accepted']}/{r['n_null']} | - | - | - |")
    for (label, engine, biased, snr), rs in groups.items():
        acc = mean_acc(rs)
        worst = min(rs, key=lambda r: r["accuracy"])
        ratio = "-"
        if biased:
            free = [g for k, g in groups.items() if k[1] == engine and not k[2] and k[3] == snr]
            if free and mean_acc(free[0]) > 0:
                ratio = f"{acc / mean_acc(free[0]):.2f}x"
        n_all = sum(r["n"] for r in rs)
        second = f"{sum(r['second_pass'] for r in rs) / n_all:.0%}" if biased else "-"
        lines.append(
            f"| {engine} | {'yes' if biased else 'no'} | {snr_label(snr)} | {acc:.1%} | "
            f"{worst['accuracy']:.1%} ({worst['voice']}) | {ratio} | "
            f"{sum(r['null_accepted'] for r in rs)}/{sum(r['n_null'] for r in rs)} | "
            f"{second} | "
            f"{statistics.median(r['decode_ms'] for r in rs):.0f} | {statistics.median(r['xrt'] for r in rs):.2f} |")
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['engine']} | - | - | not measured: {r['skipped']} | - | - | - | - | - | - |")
    return lines


def bench_section(app, quick: bool, progress: Callable[[str], None] | None = None,
                  workers: int | None = None, quick_n: int = 8) -> list[str]:
    """The section for BENCHMARKS.md (scripts/bench.py): a heading, the table, a blank line.
    quick: 8 phrases stratified over the intents of the held-out split, 2 voices, clean and
    10 dB (about 20 s on 2 cores); otherwise the whole held-out split over 5 voices and 3 noise
    levels (about 10 minutes)."""
    rows = dev_rows("test")
    what = "the held-out split"
    voices, snrs = VOICES, SNRS
    if quick:
        rows, what = quick_rows(rows, quick_n), "stratified over the intents of the held-out split"
        voices, snrs = VOICES[:2], (None, 10.0)
    workers = workers or min(2, os.cpu_count() or 1)
    results = measure(app, rows, voices, snrs, workers=workers, progress=progress)
    command = "scripts/bench.py" + (" --quick" if quick else "")
    return ["## Speech in: spoken accuracy (espeak-ng voices, babble noise)", "",
            *markdown_table(results, command, what), ""]


def quick_rows(rows: list[dict], n: int = 40) -> list[dict]:
    """`n` rows stratified over the intents: round-robin over the intents (out-of-scope first),
    each intent's rows in file order."""
    by_intent: dict = defaultdict(list)
    for r in rows:
        by_intent[r["intent"]].append(r)
    order = sorted(by_intent, key=lambda k: (k is not None, k or ""))
    picked, i = [], 0
    while len(picked) < min(n, len(rows)):
        for intent in order:
            if i < len(by_intent[intent]) and len(picked) < n:
                picked.append(by_intent[intent][i])
        i += 1
    return picked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="40 phrases stratified over the intents instead of the whole split")
    ap.add_argument("--voices", default=",".join(VOICES), help="comma-separated espeak-ng voices (default: %(default)s)")
    ap.add_argument("--snrs", default="clean,20,10", help="comma-separated SNRs in dB, 'clean' for none (default: %(default)s)")
    ap.add_argument("--split", default="test", choices=["test", "tune", "all"], help="dev split (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default: %(default)s)")
    ap.add_argument("--voices-per-phrase", default="1",
                    help="how many of the voices say each phrase, in turn, or 'all' (default: %(default)s; "
                         "'all' multiplies the run time by the number of voices)")
    ap.add_argument("--show-errors", action="store_true", help="print what was heard for every wrong phrase")
    args = ap.parse_args(argv)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    snrs = [None if s.strip() == "clean" else float(s) for s in args.snrs.split(",") if s.strip()]
    per_phrase = None if args.voices_per_phrase == "all" else int(args.voices_per_phrase)
    started = time.time()

    def progress(msg: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    from assistant.app import build

    progress("loading intents, content and embeddings")
    app = build()
    rows = dev_rows(args.split)
    what = f"{args.split} split"
    if args.quick:
        rows = quick_rows(rows)
        what = f"stratified over the intents from the {args.split} split"
    progress(f"{len(rows)} phrases x {len(voices)} voices x {len(snrs)} SNRs, {args.workers} workers")
    results = measure(app, rows, voices, snrs, workers=args.workers, progress=progress,
                      voices_per_phrase=per_phrase)
    command = " ".join(["scripts/spoken.py", *(argv if argv is not None else sys.argv[1:])])
    print("\n".join(markdown_table(results, command, what)))
    if args.show_errors:
        for r in results:
            for said, heard, got, want in r.get("errors", []):
                print(f"{r['label']:22} {r['voice']:15} {snr_label(r['snr']):6} {said!r} heard {heard!r} -> {got} want {want}")
    progress(f"done in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
