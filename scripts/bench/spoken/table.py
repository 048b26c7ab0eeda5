"""The spoken-accuracy results as a markdown table (for BENCHMARKS.md and the command's output)."""

from __future__ import annotations

import statistics
from collections import defaultdict

from .accuracy import snr_label
from .audio import LEAD_IN

COLUMNS = ("engine", "intent-biased", "voice family", "SNR", "accuracy (mean of voices)", "worst voice",
           "biased / free-form",
           "out-of-scope given an intent", "biased pass rejected, decoded again free-form",
           "decode ms after audio end (median)", "processing / audio length (median)")


def markdown_table(results: list[dict], command: str = "scripts/bench/spoken", phrases: str = "") -> list[str]:
    """Per engine x biased x voice family (espeak, piper) x SNR: accuracy averaged over the
    voices of the family, the worst voice, what biasing buys (biased / free-form accuracy),
    out-of-scope phrases given an intent, how often the biased pass fell back to free-form, and
    decode cost; a note line first, the typed
    ceiling as the first row and a row for each engine that was not measured."""
    spoken = [r for r in results if "skipped" not in r and r["voice"] != "-"]
    typed = [r for r in results if r.get("voice") == "-"]
    voices = list(dict.fromkeys(r["voice"] for r in spoken))
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in spoken:
        groups[(r["label"], r["engine"], r["biased"], r.get("family", "espeak"), r["snr"])].append(r)
    total = typed[0]["n"] if typed else max((r["n"] for r in spoken), default=0)
    first = (spoken[0]["label"], spoken[0]["snr"]) if spoken else None
    said = sum(r["n"] for r in spoken if (r["label"], r["snr"]) == first)  # over every family
    per_phrase = round(said / total) if total else 0
    snrs = list(dict.fromkeys(snr_label(r["snr"]) for r in spoken))

    def mean_acc(rs):
        return sum(r["accuracy"] for r in rs) / len(rs)

    who = (f"each said by all {len(voices)} voices" if per_phrase >= len(voices) else
           f"each said by {per_phrase} of {len(voices)} voices in turn (about {said // max(1, len(voices))} a voice)")
    by_family = {f: [v for v in voices if any(r["voice"] == v and r.get("family", "espeak") == f for r in spoken)]
                 for f in ("espeak", "piper")}
    named = "; ".join(f"{what}: {', '.join(by_family[f])}" for f, what in
                      (("espeak", "espeak-ng at 150 wpm"),
                       ("piper", "the neural Piper voice joe at several length and noise scales")) if by_family[f])
    note = (f"Command: `{command}`. {total} dev phrases{' (' + phrases + ')' if phrases else ''}, {who} "
            f"({named}); {LEAD_IN:g} s lead-in; {', '.join(snrs)} (babble of six talkers "
            "plus a pink floor, SNR over the active speech). Right = the matcher picks the phrase's intent "
            "from the transcript (nothing, for an out-of-scope phrase).")
    lines = [note,
             "",
             "| " + " | ".join(COLUMNS) + " |",
             "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in typed:
        lines.append(f"| typed text (ceiling) | - | - | - | {r['accuracy']:.1%} | - | - | "
                     f"{r['null_accepted']}/{r['n_null']} | - | - | - |")
    for (label, engine, biased, fam, snr), rs in groups.items():
        acc = mean_acc(rs)
        worst = min(rs, key=lambda r: r["accuracy"])
        ratio = "-"
        if biased:
            free = [g for k, g in groups.items() if k[1] == engine and not k[2] and k[3] == fam and k[4] == snr]
            if free and mean_acc(free[0]) > 0:
                ratio = f"{acc / mean_acc(free[0]):.2f}x"
        n_all = sum(r["n"] for r in rs)
        second = f"{sum(r['second_pass'] for r in rs) / n_all:.0%}" if biased else "-"
        lines.append(
            f"| {engine} | {'yes' if biased else 'no'} | {fam} | {snr_label(snr)} | {acc:.1%} | "
            f"{worst['accuracy']:.1%} ({worst['voice']}) | {ratio} | "
            f"{sum(r['null_accepted'] for r in rs)}/{sum(r['n_null'] for r in rs)} | "
            f"{second} | "
            f"{statistics.median(r['decode_ms'] for r in rs):.0f} | {statistics.median(r['xrt'] for r in rs):.2f} |")
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['engine']} | - | - | - | not measured: {r['skipped']} | - | - | - | - | - | - |")
    return lines
