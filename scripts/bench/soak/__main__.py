"""Soak run: thousands of simulated turns through the text and the audio path while memory is
sampled; reports how much it grew. Not part of the tests (it takes minutes).

Usage: .venv/bin/python scripts/bench/soak [--text-turns N] [--audio-turns M] [--quick] [--write]

Text path: N turns through one Dialogue built like `assistant chat` builds it (build().dialogue()),
one long-lived session, restarted (reset + greeting) whenever a reply ends it ("goodbye").
Each turn is drawn (fixed seed) from the dev set (tests/data/dev.tsv), CLINC150 out-of-scope
queries (../shared/data/clinc150_out_of_scope.tsv) and dialogue commands (next, go back, repeat,
stop, resume, i need a break, explain step N, goodbye).

Audio path: eleven utterances (eight commands, "that is all for now", which ends the session, and
two CLINC150 out-of-scope queries) are rendered once with espeak-ng (en-us, 150 wpm) and resampled
to 16 kHz mono WAV; then M turns decode them in turn with the real recognizer (PocketSphinx,
intent-biased, made by assistant.app.recognizer as the voice commands make it; one object for the
whole run), match and answer through the same kind of Dialogue. Every --tts-every turns the reply is rendered
through the real text-to-speech path (Pyttsx3Renderer and its speech cache, its worker process,
laid on a timeline by Speaker, nothing played); replies soon all come from the cache, so one line
never said before is also rendered by the worker, past the cache (Pyttsx3Renderer._render_uncached),
so the worker keeps working without the soak filling the cache with lines nobody would say.

Every K turns (--sample-every; default a fiftieth of the phase) after a full gc.collect(): this
process's VmRSS and VmHWM (/proc/self/status), the RSS of its child processes (the speech worker),
the number of objects the garbage collector tracks, the speech cache and the worker's temporary
files, and elapsed time. Growth is measured from the first sample after warm-up (--warmup, 10% of
the phase) to the last, in MB and in MB per 1000 turns, with a least-squares trend beside it.
Progress goes to stderr every 10%; the report (markdown) goes to stdout. --write also puts it in
--out (BENCHMARKS.md) between <!-- soak:start --> and <!-- soak:end -->, replacing what was there,
or appended at the end with the markers when they are missing; scripts/bench keeps that section.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shlex
import sys
import time
from pathlib import Path

if not __package__:  # run as `scripts/bench/soak`: import the bench package, not this folder's files
    sys.path[0] = str(Path(__file__).resolve().parents[2])

from assistant.app import build  # noqa: E402
from bench import ROOT  # noqa: E402
from bench.common import progress_printer  # noqa: E402
from bench.soak import write_section  # noqa: E402
from bench.soak.paths import run_audio, run_text  # noqa: E402
from bench.soak.report import report  # noqa: E402


class CountingHandler(logging.Handler):
    """Counts warnings and errors the assistant logs (a handler failing, a render retried)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{record.name}: {record.getMessage()}")
            print(f"soak: logged {record.levelname}: {record.name}: {record.getMessage()}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/bench/soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text-turns", type=int, metavar="N", help="turns on the text path (default: 5000; 0 skips it)")
    ap.add_argument("--audio-turns", type=int, metavar="M", help="turns on the audio path (default: 500; 0 skips it)")
    ap.add_argument("--quick", action="store_true",
                    help="default to 500 text and 50 audio turns (under a minute) instead: a smoke test, too "
                         "short for the audio path's growth figures to be told apart from warm-up")
    ap.add_argument("--sample-every", type=int, metavar="K",
                    help="turns between samples (default: a fiftieth of each phase, at least 1)")
    ap.add_argument("--warmup", type=float, default=0.1, metavar="FRACTION",
                    help="fraction of each phase before the first sample counted (default: %(default)s)")
    ap.add_argument("--tts-every", type=int, default=10, metavar="N",
                    help="render the reply through the speech worker every N audio turns (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1, metavar="N", help="seed of the text path's utterance mix (default: %(default)s)")
    ap.add_argument("--write", action="store_true",
                    help="also put the report in --out between <!-- soak:start --> and <!-- soak:end -->")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", metavar="FILE", help="the file --write updates (default: %(default)s)")
    args = ap.parse_args()
    if args.text_turns is None:
        args.text_turns = 500 if args.quick else 5000
    if args.audio_turns is None:
        args.audio_turns = 50 if args.quick else 500
    if args.text_turns < 0 or args.audio_turns < 0 or args.text_turns + args.audio_turns == 0:
        ap.error("give a positive number of turns")
    if not 0 <= args.warmup < 1 or args.tts_every < 1 or (args.sample_every is not None and args.sample_every < 1):
        ap.error("--warmup must be in [0, 1), --tts-every and --sample-every at least 1")
    command = shlex.join(["scripts/bench/soak", *sys.argv[1:]])
    started = time.time()
    load = os.getloadavg()[0]
    progress = progress_printer()

    counter = CountingHandler()
    logging.getLogger("assistant").addHandler(counter)
    progress("loading intents, content and embeddings")
    app = build()
    phases = []
    if args.text_turns:
        every = args.sample_every or max(1, args.text_turns // 50)
        progress(f"text path: {args.text_turns:,} turns, sampled every {every}")
        phases.append(run_text(app, args.text_turns, every, args.seed, math.ceil(args.text_turns * args.warmup),
                               progress))
    if args.audio_turns:
        every = args.sample_every or max(1, args.audio_turns // 50)
        progress(f"audio path: {args.audio_turns:,} turns, sampled every {every}")
        phases.append(run_audio(app, args.audio_turns, every, args.tts_every,
                                math.ceil(args.audio_turns * args.warmup), progress))
    lines = report(phases, args.warmup, command, time.time() - started, (load, os.getloadavg()[0]))
    if counter.count:
        lines[-1:-1] = [f"The assistant logged {counter.count} warnings or errors during the run; the first: "
                        + "; ".join(counter.first) + ".", ""]
    print("\n".join(lines))
    if args.write:
        write_section(args.out, lines)
        progress(f"wrote the soak section of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
