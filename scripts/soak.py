#!/usr/bin/env python3
"""Soak run: thousands of simulated turns through the text and the audio path while memory is
sampled; reports how much it grew. Not part of the tests (it takes minutes).

Usage: .venv/bin/python scripts/soak.py [--text-turns N] [--audio-turns M] [--quick] [--write]

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
or appended at the end with the markers when they are missing; scripts/bench.py keeps that section.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import SOAK_MARKERS, machine, percentile  # noqa: E402
from evaluate import OOS, dev_rows, read_tsv  # noqa: E402

from assistant.app import build, recognizer  # noqa: E402
from assistant.audio import read_wav, resample, write_wav  # noqa: E402
from assistant.normalize import number_words  # noqa: E402
from assistant.recognize import RATE, transcribe  # noqa: E402

START, END = SOAK_MARKERS  # bench.py carries the section between them over when it rewrites the file
MB = 1024 * 1024

# Spoken on the audio path: commands PocketSphinx hears on espeak-ng speech, a goodbye that ends the
# session ("goodbye" alone is mostly heard as "what was i"), and two CLINC150 out-of-scope queries
# whose biased decode matches no intent, so the recognizer's free-form second pass runs too.
AUDIO_PHRASES = ["i need a break", "explain step three", "the next step", "go back", "repeat that",
                 "stop", "resume", "list the steps", "that is all for now",
                 "what is naval engineering", "who formulated the theory of relativity"]


# -- memory ---------------------------------------------------------------------------------------
def _status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM of a process in kB ({} when it is gone)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    return out


def _descendants(root: int) -> list[int]:
    """Every process below `root`, from the parent ids in /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])  # after "pid (comm) state"
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


@dataclass
class Sample:
    turn: int
    elapsed_s: float
    rss_mb: float
    hwm_mb: float
    child_rss_mb: float
    children: int
    objects: int
    types: Counter | None = None  # live objects per type, at the samples the report compares
    cache_lines: int = 0
    cache_mb: float = 0.0
    tmp_files: int = 0
    tmp_mb: float = 0.0


class Sampler:
    def __init__(self, renderer=None, tmp_before: set[Path] | None = None) -> None:
        self.renderer = renderer
        self.tmp_before = tmp_before or set()
        self.started = time.perf_counter()
        self.samples: list[Sample] = []

    def worker_tmp(self) -> tuple[int, int]:
        """Files and bytes in the speech workers' temporary folders created during this run."""
        files = size = 0
        for folder in Path(tempfile.gettempdir()).glob("assistant-tts-*"):
            if folder in self.tmp_before:
                continue
            for f in folder.glob("*"):
                try:
                    size += f.stat().st_size
                    files += 1
                except OSError:
                    pass
        return files, size

    def take(self, turn: int, types: bool = False) -> Sample:
        gc.collect()
        own = {id(self.samples)}  # the soak's own bookkeeping is not counted
        own.update(id(x) for x in self.samples)
        own.update(id(x.types) for x in self.samples if x.types is not None)
        live = [o for o in gc.get_objects() if id(o) not in own]
        objects = len(live)
        by_type = Counter(type(o).__qualname__ for o in live) if types else None
        del live
        me = _status()
        kids = [_status(pid) for pid in _descendants(os.getpid())]
        kids = [k for k in kids if k]
        s = Sample(turn, time.perf_counter() - self.started, me.get("VmRSS", 0) / 1024, me.get("VmHWM", 0) / 1024,
                   sum(k.get("VmRSS", 0) for k in kids) / 1024, len(kids), objects, by_type)
        cache = getattr(self.renderer, "_cache", None)  # Pyttsx3Renderer's LRU of rendered lines
        if cache is not None:
            s.cache_lines = len(cache)
            s.cache_mb = sum(a.samples.nbytes for a in list(cache.values())) / MB
            files, size = self.worker_tmp()
            s.tmp_files, s.tmp_mb = files, size / MB
        self.samples.append(s)
        return s


# -- the two paths -------------------------------------------------------------------------------
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


def text_utterances(turns: int, seed: int) -> list[str]:
    """A fixed-seed mix: about half dev-set utterances, 15% out-of-scope, 35% dialogue commands."""
    rng = random.Random(seed)
    dev = [r["text"] for r in dev_rows("all")]
    oos_all = [r["text"] for r in read_tsv(OOS)]
    oos = oos_all[:: max(1, len(oos_all) // 300)]
    commands = ["next", "go back", "repeat", "stop", "resume", "i need a break", "next step", "repeat that"]
    steps = [f"explain step {number_words(n)}" for n in range(1, 14)] + ["explain step 7", "explain step fourteen"]
    out = []
    for _ in range(turns):
        r = rng.random()
        if r < 0.01:
            out.append("goodbye")  # with the dev set's own goodbyes, sessions of a few dozen turns
        elif r < 0.50:
            out.append(rng.choice(dev))
        elif r < 0.65:
            out.append(rng.choice(oos))
        elif r < 0.80:
            out.append(rng.choice(steps))
        else:
            out.append(rng.choice(commands))
    return out


@dataclass
class Phase:
    name: str
    turns: int
    every: int
    samples: list[Sample]
    turn_ms: list[float]
    sessions: int
    notes: dict


def run_text(app, turns: int, every: int, seed: int, warm: int, progress) -> Phase:
    dialogue = app.dialogue()  # what cmd_chat builds: build(paths, match).dialogue(settings)
    utterances = text_utterances(turns, seed)
    sampler = Sampler()
    turn_ms, sessions, misses = [], 1, 0
    dialogue.greeting()
    sampler.take(0)
    for i, text in enumerate(utterances, 1):
        t = time.perf_counter()
        m, reply = dialogue.turn(text)
        if reply.end_session:  # the chat ends here; the next person starts a new session
            dialogue.reset()
            dialogue.greeting()
            sessions += 1
        turn_ms.append((time.perf_counter() - t) * 1000)
        misses += m.intent is None
        if i % every == 0 or i == turns:
            s = sampler.take(i, types=i == turns or not any(x.types for x in sampler.samples) and i >= warm)
            if i % max(1, turns // 10) == 0 or i == turns:
                progress(f"text {i:,}/{turns:,}: RSS {s.rss_mb:.1f} MB, {s.objects:,} objects")
    return Phase("text", turns, every, sampler.samples, turn_ms, sessions, {"not understood": misses})


def render_clips(phrases: list[str], folder: Path) -> list:
    """espeak-ng (as the tests call it) to WAV, resampled to 16 kHz mono WAV, read back once."""
    clips = []
    for i, text in enumerate(phrases):
        raw, wav = folder / f"raw-{i}.wav", folder / f"clip-{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text], check=True)
        write_wav(wav, resample(read_wav(raw), RATE))
        clips.append(read_wav(wav))
    return clips


def render_reply(speaker, reply, rate: float, turn: int) -> None:
    """A reply through the speech path to audio (as `--out` does, nothing played), then one line never
    said before, past the cache, so the worker renders every time. A function of its own, so nothing
    it made is still referenced when the next sample counts objects."""
    if reply.breathing is not None:
        timeline, _ = speaker.breathing_timeline(reply.breathing.pattern, reply.breathing.cycles, False, rate)
    else:
        timeline = speaker.timeline(reply.text, rate)
    timeline.render()
    renderer = speaker.renderer
    renderer._render_uncached(f"Turn {turn}. I'm still here with you.", renderer.settings.rate)


def run_audio(app, turns: int, every: int, tts_every: int, warm: int, progress) -> Phase:
    from assistant.speaker import Speaker
    from assistant.speech import Pyttsx3Renderer, VoiceSettings

    phrases = AUDIO_PHRASES
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        progress(f"audio: rendering {len(phrases)} utterances with espeak-ng (16 kHz mono)")
        clips = render_clips(phrases, Path(folder))
    engine, notice = recognizer(app, "pocketsphinx")  # what `assistant listen` gets without a Vosk model
    progress(f"audio: {notice}")
    tmp_before = set(Path(tempfile.gettempdir()).glob("assistant-tts-*"))
    renderer = Pyttsx3Renderer(VoiceSettings())
    renderer.start()  # as options.make_speaker does
    speaker = Speaker(renderer, None, VoiceSettings(), app.content)
    dialogue = app.dialogue()
    sampler = Sampler(renderer, tmp_before)
    previous: dict[int, str] = {}
    turn_ms, tts_ms, sessions, changed, right, free, extra = [], [], 1, 0, 0, 0, 0
    dialogue.greeting()
    sampler.take(0)
    try:
        for i in range(1, turns + 1):
            k = (i - 1) % len(clips)
            t = time.perf_counter()
            transcript = transcribe(engine, clips[k])
            match = dialogue.matcher.match(transcript.text)  # as VoiceLoop._turn does
            reply = dialogue.respond(match)
            turn_ms.append((time.perf_counter() - t) * 1000)
            if i % tts_every == 0:
                t = time.perf_counter()
                render_reply(speaker, reply, dialogue.session.rate, i)
                extra += 1
                tts_ms.append((time.perf_counter() - t) * 1000)
            if reply.end_session:
                dialogue.reset()
                dialogue.greeting()
                sessions += 1
            changed += k in previous and transcript.text != previous[k]
            previous[k] = transcript.text
            right += transcript.text == phrases[k]
            free += not transcript.biased
            if i % every == 0 or i == turns:
                s = sampler.take(i, types=i == turns or not any(x.types for x in sampler.samples) and i >= warm)
                if i % max(1, turns // 10) == 0 or i == turns:
                    progress(f"audio {i:,}/{turns:,}: RSS {s.rss_mb:.1f} MB, worker {s.child_rss_mb:.1f} MB, "
                             f"{s.objects:,} objects")
    finally:
        renderer.close()
    notes = {"phrases": len(phrases), "exact": right, "changed": changed, "free": free, "tts_ms": tts_ms,
             "renders": renderer.misses, "extra": extra, "cache_hits": renderer.hits, "restarts": renderer.restarts,
             "cache_size": renderer._cache_size, "tts_every": tts_every}
    return Phase("audio", turns, every, sampler.samples, turn_ms, sessions, notes)


# -- figures --------------------------------------------------------------------------------------
def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 for fewer than two points)."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


@dataclass
class Figures:
    phase: Phase
    first: Sample  # the first sample after warm-up
    last: Sample
    span: int  # turns between them

    @property
    def rss_growth(self) -> float:
        return self.last.rss_mb - self.first.rss_mb

    def per_1000(self, value: float) -> float:
        return value / self.span * 1000 if self.span else 0.0

    @property
    def rss_trend(self) -> float:  # MB per 1000 turns
        return slope([(s.turn, s.rss_mb) for s in self.phase.samples if s.turn >= self.first.turn]) * 1000

    @property
    def cache_growth(self) -> float:
        return self.last.cache_mb - self.first.cache_mb

    @property
    def rest_growth(self) -> float:  # RSS growth less what the speech cache grew (bounded, by design)
        return self.rss_growth - self.cache_growth

    @property
    def rest_trend(self) -> float:  # MB per 1000 turns
        return slope([(s.turn, s.rss_mb - s.cache_mb) for s in self.phase.samples if s.turn >= self.first.turn]) * 1000

    @property
    def half(self) -> Sample:  # the first sample of the phase's second half
        mid = self.phase.samples[-1].turn / 2
        return next(s for s in self.phase.samples if s.turn >= mid)

    @property
    def late_rate(self) -> float:  # RSS less the speech cache, MB per 1000 turns over the second half
        h, last = self.half, self.last
        span = last.turn - h.turn
        return ((last.rss_mb - last.cache_mb) - (h.rss_mb - h.cache_mb)) / span * 1000 if span else 0.0

    @property
    def child_growth(self) -> float:
        return self.last.child_rss_mb - self.first.child_rss_mb

    @property
    def objects_growth(self) -> int:
        return self.last.objects - self.first.objects

    def turn_ms(self, which: str) -> float:
        ms = self.phase.turn_ms
        tenth = max(1, len(ms) // 10)
        window = ms[tenth:2 * tenth] if which == "early" else ms[-tenth:]
        return statistics.median(window) if window else 0.0


def figures(phase: Phase, warmup: float) -> Figures:
    at = math.ceil(phase.turns * warmup)
    first = next((s for s in phase.samples if s.turn >= at), phase.samples[-1])
    last = phase.samples[-1]
    return Figures(phase, first, last, last.turn - first.turn)


def nice_ceiling(x: float) -> float:
    """The smallest of 0.1, 0.2, 0.5, 1, 2, 5, 10, ... at or above x."""
    step = 0.1
    while True:
        for m in (1, 2, 5):
            if x <= step * m + 1e-9:
                return round(step * m, 10)
        step *= 10


def interpretation(figs: list[Figures]) -> str:
    """The reading of the figures, as sentences computed from them."""
    def rate(f: Figures) -> float:  # the larger of growth and trend less the speech cache, MB per 1000 turns
        return max(f.per_1000(f.rest_growth), f.rest_trend)

    worst = max(figs, key=rate)
    late = max(figs, key=lambda f: f.late_rate)
    objs = max(figs, key=lambda f: f.per_1000(f.objects_growth))
    paths = "both paths" if len(figs) > 1 else f"the {figs[0].phase.name} path"
    cached = " less the speech cache" if any(f.last.cache_lines for f in figs) else ""
    if rate(worst) <= 1.0:
        text = (f"After warm-up, resident memory{cached} grew by under {nice_ceiling(max(rate(worst), 0.0)):g} MB "
                f"per 1000 turns on {paths} (growth and trend alike)")
    elif late.late_rate <= 1.0:
        text = (f"After warm-up, resident memory{cached} still grew on the {worst.phase.name} path "
                f"({rate(worst):.1f} MB per 1000 turns, the larger of growth and trend), then levelled off: "
                f"under {nice_ceiling(max(late.late_rate, 0.0)):g} MB per 1000 turns over the second half "
                f"on {paths}")
    else:
        text = (f"Resident memory{cached} kept growing on the {late.phase.name} path, {late.late_rate:.1f} MB per "
                f"1000 turns over the second half ({rate(late):.1f} MB per 1000 turns after warm-up)")
    text += (f", and the objects the garbage collector tracks by at most {objs.per_1000(objs.objects_growth):+,.0f} "
             f"per 1000 turns ({objs.phase.name} path).")
    audio = next((f for f in figs if f.phase.name == "audio"), None)
    if audio is not None and audio.last.cache_lines:
        size = audio.phase.notes["cache_size"]
        per_line = audio.last.cache_mb / audio.last.cache_lines
        text += (f" The speech cache, an LRU bounded at {size} lines (not bytes), grew by {audio.cache_growth:+.1f} MB "
                 f"(of the {audio.rss_growth:+.1f} MB RSS growth) to {audio.last.cache_lines} lines; at the "
                 f"{per_line:.2f} MB a line seen here (float32 samples), a cache filled with such lines would "
                 f"hold about {per_line * size:,.0f} MB.")
        text += (f" The speech worker's RSS changed by {audio.per_1000(audio.child_growth):+.2f} MB per 1000 turns.")
        if audio.last.tmp_files:
            text += (f" The worker keeps every WAV it renders in its temporary folder until it exits: "
                     f"{audio.last.tmp_files:,} files, {audio.last.tmp_mb:.1f} MB on disk at the end, one more "
                     "per line rendered.")
    return text


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


def write_section(path: Path, lines: list[str]) -> None:
    block = "\n".join([START, *lines, END])
    text = path.read_text() if path.exists() else ""
    start, end = text.find(START), text.find(END)
    if start >= 0 and end > start:
        text = text[:start] + block + text[end + len(END):]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    command = shlex.join(["scripts/soak.py", *sys.argv[1:]])
    started = time.time()
    load = os.getloadavg()[0]

    def progress(msg: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

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
