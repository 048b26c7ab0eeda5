"""Alternatives: what the recogniser's other hypotheses (PocketSphinx n-best, and the other
pass's text when the free-form pass decides) buy in spoken accuracy and spoken safety.

Held-out rows only: the `test` half of the dev set (intents) and the held-out (odd) rows of the
fresh blind safety set (danger and everyday), spoken by espeak-ng (en-us) and the Piper joe
voice, decoded by PocketSphinx as the assistant runs it. Each row is judged twice: on the best
hypothesis alone, as shipped over all hypotheses (`match_any`: danger only in an alternative is
asked about), and with any hypothesis deciding (danger in any answered, else the best understood).

Run alone: cd scripts && ../.venv/bin/python -m bench.alternatives [--quick]
"""

from __future__ import annotations

import statistics
import sys

from evaluate import DATA, dev_rows, half, read_tsv

from .common import Run

VOICES = ("en-us", "joe")  # espeak-ng's default voice; the neural Piper voice
MODES = {"best": "best only", "shipped": "all, danger in an alternative asked (shipped)",
         "any": "all, any hypothesis decides"}


def any_decides(matcher, heard):
    """The policy not shipped: danger in any hypothesis answered, else the best understood one."""
    matches = [matcher.match(t) for t in heard] or [matcher.match("")]
    for outcome in ("safety", "safety_check"):
        for m in matches:
            if m.intent == outcome:
                return m
    understood = [m for m in matches if m.intent is not None]
    return matches[0] if matches[0].intent is not None or not understood else max(understood, key=lambda m: m.score)


def rows(quick: bool) -> list[tuple[str, str, object]]:
    """(kind, text, want): kind "intent" (want = intent name or None), "danger" or "everyday"."""
    n = 30 if quick else 80
    intents = [("intent", r["text"], r["intent"]) for r in dev_rows("test")][:n]
    safety = half(read_tsv(DATA / "safety_blind.tsv"), "test")
    danger = [("danger", r["text"], True) for r in safety if r["label"] == "danger"][:n]
    everyday = [("everyday", r["text"], False) for r in safety if r["label"] == "everyday"][:n]
    return intents + danger + everyday


def measure(app, engine, voice: str, table: list[tuple[str, str, object]], progress=None) -> dict:
    from assistant.hearing.recognize import transcribe
    from bench.spoken.audio import utterance

    out = {mode: {"intent": 0, "danger_answered": 0, "danger_asked": 0, "everyday_answered": 0,
                  "everyday_asked": 0} for mode in MODES}
    counts = {"intent": 0, "danger": 0, "everyday": 0}
    decode, extra = [], []
    for k, (kind, text, want) in enumerate(table):
        heard = transcribe(engine, utterance(text, voice))
        decode.append(heard.decode_s * 1000)
        counts[kind] += 1
        verdicts = {"best": app.matcher.match(heard.text), "shipped": app.matcher.match_any(heard.heard),
                    "any": any_decides(app.matcher, heard.heard)}
        for mode, m in verdicts.items():
            if kind == "intent":
                out[mode]["intent"] += m.intent == want
            elif m.intent == "safety":
                out[mode][f"{kind}_answered"] += 1
            elif m.intent == "safety_check":
                out[mode][f"{kind}_asked"] += 1
        extra.append(len(heard.alternatives))
        if progress and k % 30 == 29:
            progress(f"alternatives: {voice} {k + 1}/{len(table)}")
    return {"modes": out, "counts": counts, "decode_ms": statistics.median(decode),
            "decode_p95": sorted(decode)[int(0.95 * (len(decode) - 1))], "alternatives": statistics.mean(extra)}


def section(run: Run) -> list[str]:
    from assistant.app import recognizer

    table = rows(run.quick)
    engine, _ = recognizer(run.app, "pocketsphinx")
    lines = ["## Alternatives (spoken, PocketSphinx hypotheses)", "",
             "Held-out rows spoken and decoded; each judged on the best hypothesis alone and over all "
             "hypotheses (PocketSphinx n-best, up to 4, and the biased text when the free pass decides). "
             "Danger answered is the safety answer; asked is the safety question. The rows are held out; "
             "the shipped policy was chosen by the principle that uncertain evidence is asked about, and this "
             "table shows what it buys and costs.", "",
             "| voice | hypotheses | intent right | danger answered | danger answered or asked | "
             "everyday answered | everyday asked | decode median / p95 ms | alternatives per utterance |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for voice in VOICES:
        run.progress(f"alternatives: {voice}, {len(table)} utterances")
        r = measure(run.app, engine, voice, table, run.progress)
        c = r["counts"]
        for mode, label in MODES.items():
            o = r["modes"][mode]
            lines.append(
                f"| {voice} | {label} | {o['intent'] / c['intent']:.0%} | {o['danger_answered'] / c['danger']:.0%} | "
                f"{(o['danger_answered'] + o['danger_asked']) / c['danger']:.0%} | "
                f"{o['everyday_answered'] / c['everyday']:.0%} | {o['everyday_asked'] / c['everyday']:.0%} | "
                f"{r['decode_ms']:.0f} / {r['decode_p95']:.0f} | {r['alternatives']:.1f} |")
    lines += ["", f"Rows per voice: {c['intent']} intents (dev held-out half), {c['danger']} danger and "
              f"{c['everyday']} everyday (safety_blind.tsv held-out half).", ""]
    return lines


if __name__ == "__main__":
    import time

    sys.path.insert(0, str(DATA.parent.parent))
    from assistant.app import build

    from .common import progress_printer

    started = time.time()
    app = build()
    print("\n".join(section(Run(app, "--quick" in sys.argv, DATA / "unused.md", "alternatives",
                                  progress_printer(), time.time() - started))))
