"""Every engine over the phrases, voices and noise levels, in worker processes: the engines
(PocketSphinx biased and free-form, Vosk the same when an English model is found) and the pool."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .accuracy import SNRS, VOICES, snr_label, spoken_accuracy, typed_accuracy, voice_rows
from .audio import _babble_streams, render, speakable


def default_engines(app) -> tuple[dict, list[dict]]:
    """The default (Moonshine with PocketSphinx beside it), PocketSphinx biased and free-form, and Vosk
    the same when an English model is found.
    Returns (engines by label, skipped rows for engines that could not be measured)."""
    from assistant.hearing.recognize import PocketSphinxEngine, VoskEngine

    from assistant.app import recognizer

    phrases = [s.text for s in app.catalogue.sentences]
    default, _ = recognizer(app)
    engines = {
        "default (moonshine, pocketsphinx beside it)": default,
        "pocketsphinx biased": PocketSphinxEngine(
            phrases=phrases, second_opinion=lambda t: app.matcher.match(t).intent is not None),
        "pocketsphinx free": PocketSphinxEngine(phrases=None),
    }
    skipped = []
    model, why = None, ""
    try:
        from assistant.hearing.models import find_model
    except ImportError:
        why = "no English model found (assistant.hearing.models.find_model is not available)"
    else:
        try:
            found = find_model(None)
        except Exception as exc:  # noqa: BLE001 - a bad ASSISTANT_VOSK_MODEL, say; report, do not crash
            found, why = None, f"no English model found ({exc})"
        where = ""
        if isinstance(found, tuple):  # (path or None, where it looked / found it)
            found, where = found
        if found is None:
            why = why or f"no English model found ({where or 'assistant.hearing.models.find_model(None) found none'})"
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


def _init_worker(settings, labels=None) -> None:
    from assistant.app import build

    app = build(match=settings)
    engines, skipped = default_engines(app)
    if labels is not None:
        engines = {k: v for k, v in engines.items() if k in labels}
    _WORKER.update(app=app, engines=engines, skipped=skipped)


def _task(rows, voice, snr, seed, rate, voices, voices_per_phrase):
    said = voice_rows(rows, voices, voice, voices_per_phrase)
    return spoken_accuracy(_WORKER["app"], _WORKER["engines"], said, [voice], [snr], seed=seed,
                           rate=rate, typed=False), _WORKER["skipped"]


def measure(app, rows: list[dict], voices: Iterable[str] = VOICES, snrs: Iterable[float | None] = SNRS,
            workers: int = 2, progress: Callable[[str], None] | None = None, seed: int = 0,
            rate: int = 150, voices_per_phrase: int | None = 1, labels: tuple[str, ...] | None = None) -> list[dict]:
    """default_engines over rows x voices x SNRs (see spoken_accuracy for voices_per_phrase;
    1 by default: each row said by one voice in turn), in `workers` spawned processes, each
    building its own assistant (default intents, app's match settings) and engines, one task
    per voice and SNR. Returns the typed ceiling, the spoken_accuracy rows, and a row for each
    engine that could not be measured. `labels`: only these of default_engines (a test's few)."""
    voices, snrs = list(voices), list(snrs)
    say = progress or (lambda msg: None)
    for voice in voices:  # render in this process first, so the workers only read the cache
        for r in voice_rows(rows, voices, voice, voices_per_phrase):
            render(speakable(r["text"]), voice, rate)
    _babble_streams(22050)
    results = [typed_accuracy(app, rows)]
    if workers <= 1:
        engines, skipped = default_engines(app)
        engines = {k: v for k, v in engines.items() if labels is None or k in labels}
        results += spoken_accuracy(app, engines, rows, voices, snrs, progress, seed, rate, typed=False,
                                   voices_per_phrase=voices_per_phrase)
        return results + skipped
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    tasks = [(voice, snr) for snr in reversed(snrs) for voice in voices]  # noisiest (slowest) first
    done, skipped = 0, []
    with ProcessPoolExecutor(workers, mp.get_context("spawn"), _init_worker, (app.matcher.settings, labels)) as pool:
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
