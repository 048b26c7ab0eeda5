"""End of turn, offline: the decision hearing/turn.py makes when a silence starts, on rendered speech.

Hesitant requests (tests/data/hesitant.tsv, written blind; `tune` rows to tune on, `test` rows held
out) are said by the Piper voice with a comma at each pause (the voice goes on, as before a pause);
at each pause the audio so far (and 0.1 s of its silence) is decoded by Moonshine and weighed as the
loop weighs it: a "quick" verdict there would answer a fragment. Complete requests (the dev set's
held-out rows) said whole are weighed the same way: "quick" is what answers within a breath.
Also a library function for tuning: `weigh(split)`.
"""

from __future__ import annotations

import statistics
from collections import Counter

import numpy as np
from evaluate import read_tsv

from . import ROOT
from .common import Run

VOICES = ("joe", "joe-loose", "joe-slow", "joe-quick")


def _decider(app, settings=None):
    from assistant.hearing.moonshine import MoonshineEngine
    from assistant.hearing.turn import EndOfTurn, TurnModel, TurnSettings

    return MoonshineEngine(), EndOfTurn(settings or TurnSettings(), TurnModel(), app.matcher.match)


def weigh(app, split: str, settings=None, limit: int | None = None) -> dict:
    """Verdicts at every pause of the hesitant rows of `split`, and on whole dev requests."""
    from speech_material import hesitant_say, piper_say

    engine, decide = _decider(app, settings)
    rows = [r for r in read_tsv(ROOT / "tests" / "data" / "hesitant.tsv") if r["split"] == split][:limit]
    fragments = []
    for k, r in enumerate(rows):
        audio, pauses = hesitant_say(r["said"], VOICES[k % len(VOICES)])
        for start, _ in pauses:
            x = audio.samples[: int((start + 0.1) * 16000)]
            text = engine.decode(x)
            verdict = decide.decide(text, x)
            fragments.append({"said": r["said"], "heard": text, "kind": verdict.kind, "p": verdict.probability,
                              "why": verdict.why})
    dev = [r for r in read_tsv(ROOT / "tests" / "data" / "dev.tsv") if r["split"] == split and r["intent"]][:limit]
    whole = []
    for k, r in enumerate(dev):
        x = np.concatenate([piper_say(r["text"], VOICES[k % len(VOICES)]).samples, np.zeros(1600, np.float32)])
        text = engine.decode(x)
        verdict = decide.decide(text, x)
        whole.append({"said": r["text"], "heard": text, "kind": verdict.kind, "p": verdict.probability})
    engine.close()
    return {"fragments": fragments, "whole": whole, "rows": len(rows)}


def section(run: Run) -> list[str]:
    from assistant.hearing.turn import TurnSettings

    run.progress("end of turn, offline: hesitant pauses and whole requests, held-out halves")
    got = weigh(run.app, "test", limit=20 if run.quick else None)
    frag, whole = got["fragments"], got["whole"]
    cut = [f for f in frag if f["kind"] == "quick"]
    kinds = Counter(w["kind"] for w in whole)
    s = TurnSettings()
    p_done = [w["p"] for w in whole if w["p"] is not None]
    p_frag = [f["p"] for f in frag if f["p"] is not None]
    lines = ["## End of turn (offline, held-out halves)", "",
             f"The verdict `hearing/turn.py` gives when a silence starts, on Moonshine's text of the audio so far and "
             f"the turn model's probability: quick ({s.quick:g} s of silence ends the turn), unsure ({s.unsure:g} s), "
             f"unfinished ({s.unfinished:g} s). At each pause inside the held-out hesitant requests "
             f"({got['rows']} rows, {len(frag)} pauses; a quick verdict there answers a fragment, unless the pause is "
             f"shorter than {s.quick:g} s), and on {len(whole)} whole requests (dev set, held-out rows, with an intent).", "",
             "| said | weighed | quick | unsure | unfinished | turn model p (median) |", "|---|---:|---:|---:|---:|---:|",
             f"| a pause inside a hesitant request | {len(frag)} | **{len(cut)} ({len(cut) / max(1, len(frag)):.1%})** | "
             f"{sum(f['kind'] == 'unsure' for f in frag)} | {sum(f['kind'] == 'unfinished' for f in frag)} | "
             f"{statistics.median(p_frag):.2f} |" if p_frag else "",
             f"| a whole request | {len(whole)} | **{kinds['quick']} ({kinds['quick'] / max(1, len(whole)):.1%})** | "
             f"{kinds['unsure']} | {kinds['unfinished']} | {statistics.median(p_done):.2f} |" if p_done else "", ""]
    if cut:
        lines += ["Quick at a pause: " + "; ".join(f"\"{f['heard']}\" ({f['why']})" for f in cut[:8]), ""]
    return lines
