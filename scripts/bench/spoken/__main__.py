"""Spoken accuracy: the dev phrases said by espeak-ng voices, in quiet and in noise, recognised
by each engine with and without intent biasing, then matched to an intent.

Usage: .venv/bin/python scripts/bench/spoken [--quick] [--voices en-us,en-gb,...] [--snrs clean,20,10]
                                             [--split test|tune|all] [--voices-per-phrase 1|...|all]
                                             [--workers N] [--show-errors]

A phrase counts as right when the matcher, given the engine's transcript, picks the phrase's
intent (a dev row with intent "null" is right when nothing is picked). Slots are not scored.
The same phrases typed (no speech at all) give the ceiling. The table goes to stdout; the
benchmark run (scripts/bench) puts a quicker one in BENCHMARKS.md.

Each phrase is said by one of the voices in turn (--voices-per-phrase; 'all' for every voice,
five times the run time): decoding noisy audio with PocketSphinx's free-form model takes one
to two seconds a phrase, so every voice x every phrase x 3 SNRs x 2 engines would take most of
an hour on 2 cores. --quick: 40 phrases stratified over the intents of the held-out (test)
split, about 4.5 CPU-minutes (2.5 minutes on 2 idle cores); the full run: the whole held-out
split (222 phrases), about 25 CPU-minutes (12-13 minutes on 2 idle cores).

Noise: babble of six espeak-ng talkers plus a pink floor (see audio.add_noise). PocketSphinx's
cepstral mean is reset before every phrase to its value after three warm-up sentences from
the same voice (see accuracy.spoken_accuracy), so results do not depend on order or on workers.

Renders are cached on disk in .cache/spoken/ (keyed by voice, rate, text and espeak-ng
version), so a rerun only decodes. The decoding runs in --workers processes (2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if not __package__:  # run as `scripts/bench/spoken`: import the bench package, not this folder's files
    sys.path[0] = str(Path(__file__).resolve().parents[2])

from evaluate import dev_rows  # noqa: E402

from bench.common import progress_printer  # noqa: E402
from bench.spoken.accuracy import VOICES, quick_rows, snr_label  # noqa: E402
from bench.spoken.table import markdown_table  # noqa: E402
from bench.spoken.workers import measure  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/bench/spoken", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
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
    progress = progress_printer()

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
    command = " ".join(["scripts/bench/spoken", *(argv if argv is not None else sys.argv[1:])])
    print("\n".join(markdown_table(results, command, what)))
    if args.show_errors:
        for r in results:
            for said, heard, got, want in r.get("errors", []):
                print(f"{r['label']:22} {r['voice']:15} {snr_label(r['snr']):6} {said!r} heard {heard!r} -> {got} want {want}")
    progress("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
