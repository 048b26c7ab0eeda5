"""Measure this machine and write BENCHMARKS.md and BENCHMARKS-latency.png (every figure comes
from this run).

Usage: .venv/bin/python scripts/bench [--quick] [--out BENCHMARKS.md] [--only SECTION[,SECTION]] [--minutes N]

--only reruns the named sections (module names: matching, understanding, safety, distress, speech, tts, hearing, spoken,
alternatives, wake, turns, voice, room, idle, timeouts, engines, wyoming, soak) and puts them in place of the same sections of the
file given by --out, each marked with the command, date and load of its own run; the other sections stay
as they were, from the run in the file's header. A section the file does not have yet is added at its end.
The room soak (`--only soak`, an evening in the room rig with faults injected; 120 minutes, or --minutes N)
runs only when named; a whole run keeps the one in the file.

Sections, in order (one module each in scripts/bench/): intent matching (difflib, rapidfuzz alone,
rapidfuzz + WordLlama and the shipped rapidfuzz + MiniLM + safety net side by side: match time,
top-1 on the held-out halves, CLINC150 false accepts; then the shipped matcher with synthetic
catalogues of 1,000 / 10,000 / 100,000 sentences), understanding (accuracy on the frozen dev set,
tune half and held-out half; false accepts on CLINC150 out-of-scope), safety (answered and checked
per labelled set, tune and held-out halves, beside the goals), distress (distress in everyday words, help
requests and self-control per kind and half of distress_blind.tsv, and distress out of the blue in a room,
in text), speech out (render cost, cue timing,
live latency through a PulseAudio null sink), speech in (spoken accuracy per engine, espeak-ng
voices in babble noise), the optional wake word (each detector: heard clean and in babble, false wakes
per hour of chatter, CPU), the voice loop (end of speech to first audio, with the latency plot),
the room (its own echo: echo return loss enhancement, CPU and false barge-ins; "stop" over its
voice; a couple talking to each other; requests without a wake word), the time-out (due to first
sound over 10 short time-outs), start-up (to ready with the encoder cache warm, and cold) and memory per engine. The soak section that
`scripts/bench/soak --write` keeps in the file (between its markers) is carried over unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

if not __package__:  # run as `scripts/bench`: import the bench package, not this folder's files
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from assistant.app import build  # noqa: E402
from bench import (  # noqa: E402
    ROOT,
    alternatives,
    distress,
    engines,
    hearing,
    idle,
    matching,
    plot,
    room,
    room_soak,
    safety,
    soak,
    speech,
    spoken,
    timeouts,
    turns,
    tts,
    understanding,
    voice,
    wake,
    wyoming,
)
from bench.common import Run, machine, progress_printer  # noqa: E402

EVERY_FIGURE = ("Every figure below comes from that run, except in a section marked with its own `--only` run; "
                "rerun the command to refresh this file.")
OLD_EVERY_FIGURE = "Every figure below comes from that run; rerun the command to refresh this file."

# Each: section(run) -> markdown lines. A new section is a module and a line here.
SECTIONS = [
    matching.section,
    understanding.section,
    safety.section,
    distress.section,  # distress, help requests and self-control (distress_blind.tsv); distress out of the blue
    speech.section,
    tts.section,  # speech out per engine (Piper, pyttsx3)
    hearing.section,  # people's own voices (human recordings): word errors and time per recognizer
    spoken.section,
    alternatives.section,  # the recogniser's other hypotheses, spoken
    wake.section,  # the optional wake word: heard, false wakes per hour, CPU
    turns.section,  # end of turn, offline: how soon a finished request is answered, how often one is cut
    voice.section,
    plot.section,  # after voice: plots what it measured
    room.section,  # the room: its own echo, a couple talking, stop over its voice
    idle.section,  # listening to an empty room: share of a core, memory
    timeouts.section,  # the time-out's return prompt: due to first sound
    engines.section,
    wyoming.section,  # Home Assistant's satellites: turns through Wyoming, the voice's first chunk, memory
    soak.section,  # kept from the file as it was (scripts/bench/soak --write)
    room_soak.section,  # last, and only with --only soak: an evening in the room rig (two hours; --minutes)
]
ALIASES = {"soak": "room_soak"}  # --only soak runs the room soak
NOT_ALONE = ("plot",)  # no --only for these


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, voices and noise levels, half the held-out CLINC150 queries: a few minutes on 2 cores")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write (default: %(default)s)")
    ap.add_argument("--minutes", type=float, default=None, help="the room soak's length in minutes (default: 120, 10 with --quick)")
    ap.add_argument("--only", type=str, default=None, metavar="SECTION[,SECTION]",
                    help="rerun these sections only and splice them into --out (see above)")
    args = ap.parse_args(argv)
    names = {f.__module__.rsplit(".", 1)[-1]: f for f in SECTIONS}
    names.update({alias: names[name] for alias, name in ALIASES.items()})
    only = [ALIASES.get(n.strip(), n.strip()) for n in args.only.split(",") if n.strip()] if args.only else None
    if only is not None:
        unknown = [n for n in only if n not in names or n in NOT_ALONE]
        if unknown or not only:
            print(f"scripts/bench: --only: unknown section {', '.join(unknown) or '(none given)'}; choose from "
                  f"{', '.join(n for n in names if n not in NOT_ALONE + ('room_soak',))}", file=sys.stderr)
            return 2
        if not args.out.exists():
            print(f"scripts/bench: --only needs an existing {args.out} to splice into; run the whole bench first",
                  file=sys.stderr)
            return 2
    progress = progress_printer()
    progress("loading intents, content and embeddings")
    t = time.perf_counter()
    app = build()
    run = Run(app, args.quick, args.out, "scripts/bench" + (" --quick" if args.quick else ""), progress,
              time.perf_counter() - t, minutes=args.minutes)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    if only is not None:
        text = args.out.read_text().replace(OLD_EVERY_FIGURE, EVERY_FIGURE)
        for name in only:
            fresh = names[name](run)
            fresh[1:1] = ["", f"*This section: `{run.command} --only {name}`, {date}, load {load} when it started; "
                              "the sections around it come from the run in the header.*"]
            text = splice(text, fresh)
        args.out.write_text(text)
        progress(f"wrote {', '.join(only)} into {args.out}")
        return 0
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}. Date: {date}. Command: `{run.command}`. Load average (1, 5, 15 min) "
        f"when it started: {load} (other work on the machine slows every timing below).",
        EVERY_FIGURE,
        "",
    ]
    for section in SECTIONS:
        if section is not room_soak.section:  # hours: only when asked for (--only soak), kept otherwise
            lines += section(run)
        else:
            lines += kept(run.out, "## Room soak")
    args.out.write_text("\n".join(lines))
    progress(f"wrote {args.out}")
    return 0


def kept(path: Path, heading: str) -> list[str]:
    """The section of the file at path headed `heading` (to the next "## "), as it is, or nothing."""
    lines = path.read_text().split("\n") if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def splice(text: str, section: list[str]) -> str:
    """`text` with the section headed like `section` (its "## " line up to the next one) replaced."""
    lines = text.split("\n")
    heading = section[0]
    if heading not in lines:  # a section new to the file: at its end
        return "\n".join(lines).rstrip("\n") + "\n\n" + "\n".join(section)
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[:start] + section + lines[end:])


if __name__ == "__main__":
    raise SystemExit(main())
