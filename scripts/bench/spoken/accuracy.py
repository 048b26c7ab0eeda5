"""Measuring spoken accuracy: the dev phrases said by espeak-ng voices and by the Piper voice, in
quiet and in noise,
recognised by each engine with and without intent biasing, then matched to an intent.

A phrase counts as right when the matcher, given the engine's transcript, picks the phrase's
intent (a dev row with intent "null" is right when nothing is picked). Slots are not scored.
The same phrases typed (no speech at all) give the ceiling.

PocketSphinx's cepstral mean is reset before every phrase to its value after three warm-up
sentences from the same voice (see spoken_accuracy), so results do not depend on order or on
workers.
"""

from __future__ import annotations

import statistics
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

from speech_material import PIPER_VARIANTS, family

from .audio import add_noise, utterance

# espeak-ng: two US voices (one female), two British (RP and Scottish), one Caribbean; then the
# neural Piper voice joe at four length and noise scales (scripts/speech_material.py).
ESPEAK_VOICES = ("en-us", "en-us+f3", "en-gb-x-rp", "en-gb-scotland", "en-029")
VOICES = ESPEAK_VOICES + tuple(PIPER_VARIANTS)
QUICK_VOICES = ("en-us", "joe")  # one of each family
SNRS: tuple[float | None, ...] = (None, 20.0, 10.0)  # None: clean


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
    from assistant.hearing.recognize import RATE, to_pcm16

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


def _right(app, text, want: str | None) -> tuple[bool, str | None]:
    """Judged as the loop judges it: a Transcript's hypotheses through match_any (a typed text alone)."""
    got = (app.matcher.match(text) if isinstance(text, str) else app.matcher.match_any(text.heard)).intent
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
    label (the engines key), engine (its .name), biased, voice, family (espeak or piper), snr, n,
    correct, accuracy,
    n_null / null_accepted (out-of-scope rows given an intent), second_pass (transcripts that
    came from the free-form pass of a biased engine), decode_ms (median time to finish after
    the audio ended, Transcript.decode_s), xrt (median processing time / audio length),
    errors [(said, heard, got, want)]. With `typed`, a first row gives the typed ceiling."""
    from assistant.hearing.recognize import transcribe

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
                    ok, got = _right(app, tr, r["intent"])
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
                    "family": family(voice),
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
