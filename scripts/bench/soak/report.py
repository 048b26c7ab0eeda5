"""The soak report: the "## Soak" markdown section, from the phases' samples."""

from __future__ import annotations

import statistics
import subprocess
from collections import Counter
from datetime import datetime, timezone

from .. import ROOT
from ..common import machine, percentile
from .figures import Figures, figures, interpretation
from .paths import Phase


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def grown_types(f: Figures, top: int = 4) -> str:
    if f.first.types is None or f.last.types is None:
        return "not counted"
    diff = Counter(f.last.types)
    diff.subtract(f.first.types)
    grown = [(name, n) for name, n in diff.most_common(top) if n > 0]
    return ", ".join(f"{name} {n:+,}" for name, n in grown) or "none grew"


def code_state() -> str:
    """The commit measured, and whether the code or data differed from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "Code: not a git checkout."
    dirty = git("status", "--porcelain", "--", "assistant", "intents", "content")
    return (f"Code: commit {commit}" + (", with uncommitted changes in assistant/, intents/ or content/."
                                         if dirty else ", no uncommitted changes in assistant/, intents/, content/."))


def report(phases: list[Phase], warmup: float, command: str, elapsed: float, loads: tuple[float, float]) -> list[str]:
    figs = [figures(p, warmup) for p in phases]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cols = " | ".join(f"{f.phase.name} path" for f in figs)

    def row(label: str, fn) -> str:
        return f"| {label} | " + " | ".join(fn(f) for f in figs) + " |"

    lines = [
        "## Soak",
        "",
        f"Command: `{command}`. Machine: {machine()}. Date: {date}. Total run time {elapsed:.0f} s. {code_state()}",
        "The figures in this section come from that command, not from the benchmark run named at the top. "
        f"Load average (1 min) {loads[0]:.1f} at the start, {loads[1]:.1f} at the end: turn times depend on "
        "what else the machine was doing; memory figures do not.",
        "",
    ]
    for f in figs:
        p = f.phase
        if p.name == "text":
            lines.append(f"Text path: {p.turns:,} turns through one `Dialogue` as `assistant chat` builds it "
                         "(dev-set utterances, CLINC150 out-of-scope queries, dialogue commands; fixed seed), "
                         f"{plural(p.sessions, 'session')} (restarted after each goodbye), "
                         f"{p.notes['not understood']:,} turns not understood (reprompts).")
        else:
            n = p.notes
            lines.append(f"Audio path: {p.turns:,} turns; {n['phrases']} utterances (commands, a goodbye, two "
                         "CLINC150 out-of-scope queries) rendered once by espeak-ng, resampled to 16 kHz mono WAV "
                         "and decoded in turn by one PocketSphinx recognizer (intent-biased, as `assistant listen` "
                         "makes it), then matched and answered. "
                         f"{n['exact']:,} transcripts were exactly the words spoken, {n['free']:,} came from the "
                         f"free-form second pass, and {n['changed']:,} differed from the previous decode of the same "
                         f"clip. Every {n['tts_every']}th turn ({len(n['tts_ms'])} turns) the reply was rendered "
                         "through the speech cache and worker (Speaker timeline, not played): "
                         f"{n['renders']:,} lines rendered, {n['cache_hits']:,} speech-cache hits; and one line "
                         f"never said before was rendered by the worker past the cache ({n['extra']:,} in all); "
                         f"{n['restarts']} worker restarts, median {statistics.median(n['tts_ms']) if n['tts_ms'] else 0:.0f} ms "
                         f"per such turn. {plural(p.sessions, 'session')}.")
        lines.append("")
    lines += [
        f"Samples every K turns after a full `gc.collect()`; growth is from the first sample after warm-up "
        f"({warmup:.0%} of the turns) to the last; trend is the least-squares slope over those samples.",
        "",
        f"| | {cols} |",
        "|---|" + "---:|" * len(figs),
        row("turns (sampled every K)", lambda f: f"{f.phase.turns:,} (K = {f.phase.every})"),
        row("process RSS before the first turn, MB", lambda f: f"{f.phase.samples[0].rss_mb:.1f}"),
        row("process RSS after warm-up → last, MB",
            lambda f: f"{f.first.rss_mb:.1f} (turn {f.first.turn:,}) → {f.last.rss_mb:.1f}"),
        row("**RSS growth, MB**", lambda f: f"**{f.rss_growth:+.1f}**"),
        row("**RSS growth per 1000 turns, MB**", lambda f: f"**{f.per_1000(f.rss_growth):+.2f}**"),
        row("RSS trend per 1000 turns, MB", lambda f: f"{f.rss_trend:+.2f}"),
        row("RSS less the speech cache: growth (trend) per 1000 turns, MB",
            lambda f: f"{f.per_1000(f.rest_growth):+.2f} ({f.rest_trend:+.2f})"),
        row("RSS less the speech cache over the second half, per 1000 turns, MB",
            lambda f: f"{f.late_rate:+.2f} (turns {f.half.turn:,}-{f.last.turn:,})"),
        row("peak RSS (VmHWM), MB", lambda f: f"{f.last.hwm_mb:.1f}"),
        row("child processes RSS after warm-up → last, MB",
            lambda f: (f"{f.first.child_rss_mb:.1f} → {f.last.child_rss_mb:.1f} ({f.child_growth:+.1f})"
                       if f.last.children else "none")),
        row("speech cache after warm-up → last, lines (MB)",
            lambda f: (f"{f.first.cache_lines} ({f.first.cache_mb:.1f}) → {f.last.cache_lines} ({f.last.cache_mb:.1f})"
                       if f.phase.name == "audio" else "-")),
        row("speech worker temporary files after warm-up → last (MB)",
            lambda f: (f"{f.first.tmp_files:,} ({f.first.tmp_mb:.1f}) → {f.last.tmp_files:,} ({f.last.tmp_mb:.1f})"
                       if f.phase.name == "audio" else "-")),
        row("Python objects after warm-up → last", lambda f: f"{f.first.objects:,} → {f.last.objects:,}"),
        row("objects growth (per 1000 turns)",
            lambda f: f"{f.objects_growth:+,} ({f.per_1000(f.objects_growth):+,.0f})"),
        row("object types that grew most", grown_types),
        row("turn time, median of the second tenth → last tenth, ms",
            lambda f: f"{f.turn_ms('early'):.2f} → {f.turn_ms('late'):.2f}"),
        row("turn time p99 over the phase, ms (audio: decode, match, answer; speech rendering apart)", lambda f: f"{percentile(f.phase.turn_ms, 99):.2f}"),
        row("phase time, s", lambda f: f"{f.phase.samples[-1].elapsed_s:.0f}"),
        "",
        interpretation(figs),
        "",
    ]
    return lines
