"""Hearing people: word error rate per engine and per source on the human recordings in
tests/data/human (CMU's pocketsphinx test recordings, Allison Smith's Asterisk prompts, CMU
ARCTIC; scripts/human_audio.py built them from registry packages), real-time factor, and the time
to decode a ~3 s request after it ends. Engines: the default (Moonshine tiny-en, hearing/ears.py,
PocketSphinx beside it for what it does not understand), Moonshine alone, and PocketSphinx free-form
given the whole utterance at once and streamed in 0.1 s blocks as the loop feeds it."""

from __future__ import annotations

import csv
import statistics
import time

import numpy as np

from . import ROOT
from .common import Run, percentile

HUMAN = ROOT / "tests" / "data" / "human"


def _rows() -> list[dict]:
    with open(HUMAN / "manifest.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _engines(app) -> dict:
    from assistant.app import recognizer
    from assistant.hearing.moonshine import MoonshineEngine
    from assistant.hearing.recognize import PocketSphinxEngine

    ears, _ = recognizer(app)
    moon = MoonshineEngine()
    whole = PocketSphinxEngine(None)

    def ps_whole(x):
        pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
        whole.start()
        whole.decoder.process_raw(pcm.tobytes(), False, True)
        return whole.finish().text

    from assistant.audio import Audio
    from assistant.hearing.recognize import transcribe

    return {
        "default: Moonshine tiny-en, PocketSphinx beside it": lambda x: transcribe(ears, Audio(x, 16000)).text,
        "Moonshine tiny-en alone": moon.decode,
        "PocketSphinx free-form, whole utterance": ps_whole,
        "PocketSphinx free-form, streamed 0.1 s blocks": lambda x: transcribe(PocketSphinxEngine(None), Audio(x, 16000)).text,
    }


def section(run: Run) -> list[str]:
    from asr_survey import edits, norm  # scripts/, the survey's normalisation (digits as words, ok/okay)

    from assistant.audio import read_wav

    rows = _rows()
    audio = [read_wav(HUMAN / r["file"]).samples for r in rows]
    sources = sorted({r["source"] for r in rows})
    lines = ["## Hearing people (human recordings)", "",
             f"{len(rows)} recordings of people, {sum(float(r['seconds']) for r in rows):.0f} s, from registry packages "
             "(tests/data/human/LICENCES.md): " + ", ".join(
                 f"{s} {sum(r['source'] == s for r in rows)}" for s in sources) +
             ". Word error rate after the same normalisation for every engine (lowercase, no punctuation, digits as "
             "words). Real-time factor: decoding time over audio length, on this machine as the run found it. "
             "The 3 s request: the clips of 2.5-3.5 s, each decoded after it ended, as `finish()` does when no early "
             "decode stands (the loop's early decode overlaps the turn's silence: see the voice section).", "",
             "| engine | " + " | ".join(f"WER {s}" for s in sources) + " | WER all | real-time factor | "
             "3 s request decode median / p95 ms |",
             "|---|" + "---:|" * (len(sources) + 3)]
    for label, decode in _engines(run.app).items():
        run.progress(f"hearing: {label}")
        errs = {s: [0, 0] for s in sources}
        spent, long_ms = 0.0, []
        for r, x in zip(rows, audio):
            t = time.perf_counter()
            heard = decode(x)
            dt = time.perf_counter() - t
            spent += dt
            if 2.5 <= float(r["seconds"]) <= 3.5:
                long_ms.append(dt * 1000)
            ref = norm(r["text"])
            errs[r["source"]][0] += edits(ref, norm(heard))
            errs[r["source"]][1] += len(ref)
        total = [sum(e for e, _ in errs.values()), sum(n for _, n in errs.values())]
        rtf = spent / sum(len(x) / 16000 for x in audio)
        lat = (f"{statistics.median(long_ms):.0f} / {percentile(long_ms, 95):.0f} ({len(long_ms)} clips)"
               if long_ms else "-")
        lines.append(f"| {label} | " + " | ".join(f"{e / max(1, n):.1%}" for e, n in errs.values()) +
                     f" | **{total[0] / max(1, total[1]):.1%}** | {rtf:.3f} | {lat} |")
    lines += ["", "Goal: the default engine's word error rate on people 12% or less."]
    return lines
