"""Speech out per engine (Piper's joe voice, the default, and pyttsx3 + espeak-ng): start, render
speed, how well a recognizer understands each voice, cue timing, reply decided to first sound on
a PulseAudio null sink, and start-up to ready and peak memory of a whole assistant with each."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import numpy as np

from assistant.audio import Audio, resample
from assistant.speaking.layout import spoken_parts
from assistant.speaking.piper_tts import PiperRenderer
from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer

from . import ROOT
from .common import Run, null_sinks, percentile

ENGINES = {"piper": PiperRenderer, "pyttsx3": Pyttsx3Renderer}
LABELS = {"piper": "Piper, en_US-joe-medium (default)", "pyttsx3": "pyttsx3 + espeak-ng"}


def content_lines(app, n: int) -> list[str]:
    """`n` sentences of the guide as it is spoken (five words or more), spread over the steps
    and topics in file order."""
    texts = [p for s in app.content.steps for p in s.parts] + [p for t in app.content.topics.values() for p in t.parts]
    sentences = [w for text in texts for w, _ in spoken_parts(text) if len(w.split()) >= 5]
    step = max(1, len(sentences) // n)
    return sentences[::step][:n]


def section(run: Run) -> list[str]:
    from speech_material import word_accuracy

    from assistant.hearing.recognize import PocketSphinxEngine, transcribe

    lines = content_lines(run.app, 10 if run.quick else 30)
    listener = PocketSphinxEngine(None)  # free-form English: a proxy for a person hearing it cold
    rows, timing = [], []
    for name, make in ENGINES.items():
        run.progress(f"speech out: {name}: start, {len(lines)} lines rendered and decoded")
        renderer = make()
        t = time.perf_counter()
        renderer.start()
        start_s = time.perf_counter() - t
        spent = seconds = 0.0
        heard = []
        for line in lines:
            t = time.perf_counter()
            audio = renderer.render(line, 150)
            spent += time.perf_counter() - t
            seconds += audio.seconds
            pad = np.zeros(audio.rate // 3, np.float32)
            heard.append(transcribe(listener, resample(Audio(np.concatenate([pad, audio.samples, pad]), audio.rate),
                                                       16000)).text)
        rows.append(f"| {LABELS[name]} | {start_s * 1000:.0f} | {spent / seconds:.3f} | "
                    f"{word_accuracy(lines, heard):.0%} |")
        timing.append(cue_timing(run, renderer, name))
        renderer.close()
    out = ["## Speech out per engine (Piper, pyttsx3)", "",
           f"The same {len(lines)} sentences of the guide rendered at 150 wpm by each engine (uncached). Real-time "
           "factor = render seconds / audio seconds (budget with Piper: under 0.1). Intelligibility = "
           "PocketSphinx's free-form English model's word accuracy on the renders (1 - word error rate; "
           "a proxy for how human the voice sounds; budget with Piper: 75% or more).", "",
           "| engine | start ms | real-time factor | intelligibility |", "|---|---:|---:|---:|", *rows, "",
           "| cue onset error, a 2-cycle box session with tones rendered to WAV | cues | median ms | max ms |",
           "|---|---:|---:|---:|", *timing, ""]
    with null_sinks("bench-tts-"):
        said = replies(run.app)
        out += first_sound(run, said[:12] if run.quick else said)
    return out + startup(run)


def cue_timing(run: Run, renderer, name: str) -> str:
    from assistant.speaking.renderer import VoiceSettings
    from assistant.speaking.speaker import Speaker
    from tests.audio_tools import onsets

    timeline, cues = Speaker(renderer, None, VoiceSettings(), run.app.content).breathing_timeline("box", 2, True)
    found = onsets(timeline.render())
    err = [min(abs(o - c.at) for o in found) * 1000 for c in cues]
    return f"| {LABELS[name]} | {len(cues)} | {statistics.median(err):.1f} | {max(err):.1f} |"


def replies(app) -> list[str]:
    """What the assistant answers to the 13 steps, the 6 topics and its own lines, as said."""
    dialogue = app.dialogue()
    asked = [f"explain step {k}" for k in range(1, 14)] + [f"tell me about {t.replace('_', ' ')}" for t in app.content.topics]
    said = []
    for text in asked:
        dialogue.reset()
        said.append(dialogue.turn(text)[1].text)
    said += [lines[0] for key, lines in sorted(app.content.responses.items()) if lines]
    return list(dict.fromkeys(said))


def first_sound(run: Run, texts: list[str]) -> list[str]:
    """Reply decided (Speaker.say called) to the first sound recorded from the null sink's
    monitor, per engine, over real replies: cold (each first part rendered when the reply is
    decided) and as the assistant runs (its reply openings warmed in the background first)."""
    from assistant.speaking.playback import SoundDevicePlayer
    from assistant.speaking.renderer import VoiceSettings
    from assistant.speaking.speaker import Speaker
    from tests.pulse import Recorder

    rows = []
    for name, make in ENGINES.items():
        for warmed in (False, True):
            run.progress(f"speech out: {name}: reply decided to first sound, live{', warmed' if warmed else ''}")
            renderer = make()
            renderer.start()
            speaker = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), run.app.content)
            if warmed:
                speaker.warm(idle=0).join()
            heard = []
            with Recorder() as rec:
                for text in texts:
                    rec.blocks.clear()
                    t = time.perf_counter()
                    speaker.say(text)
                    time.sleep(0.6)
                    first = rec.first_sound_at()
                    speaker.stop()
                    time.sleep(0.3)
                    if first is not None:
                        heard.append((first - t) * 1000)
            speaker.close()
            how = f"openings warmed ({speaker.warmed} rendered ahead)" if warmed else "cold"
            rows.append(f"| {LABELS[name]}, {how} | {len(heard)} | {statistics.median(heard):.0f} | "
                        f"{percentile(heard, 95):.0f} |")
    return ["Reply decided to first sound: `Speaker.say` called with each of the assistant's replies "
            "(13 steps, 6 topics, its own lines) until the first sound is recorded from the null sink's "
            "monitor (so PulseAudio's output and capture latency are included, about 60 ms). Cold: the "
            "reply's first sentence (its first clause, when long) is rendered when the reply is decided. "
            "Warmed: as `chat --speak` and `listen` run, the openings of everything the content says were "
            "rendered in the background at start (`Speaker.warm`); replies with a filled-in value are still "
            "rendered. Budget with Piper: median under 150 ms.", "",
            "| engine | replies | median ms | p95 ms |", "|---|---:|---:|---:|", *rows, ""]


PROBE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
from assistant.app import build, recognizer
from assistant.speaking.renderer import VoiceSettings
from assistant.speaking.speech import open_renderer
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
app = build()
engine, _ = recognizer(app)
before = rss()
renderer = open_renderer(VoiceSettings(tts={tts!r}), print)
renderer.render("I'm here.", 150)
ready = time.perf_counter() - t
print(json.dumps({{"ready_s": ready, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "added_mb": rss() - before, "engine": renderer.engine}}))
"""


def startup(run: Run) -> list[str]:
    """A fresh process doing what `assistant listen` does before it listens (intents, content,
    embeddings, the recognizer, the speech engine, a first line rendered), per speech engine."""
    rows = []
    for name in ENGINES:
        run.progress(f"speech out: {name}: start-up to ready in a fresh process")
        out = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT), tts=name)],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            rows.append(f"| {LABELS[name]} | failed: {(out.stderr.strip().splitlines() or ['?'])[-1]} | | |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(f"| {LABELS[name]} | {r['ready_s']:.2f} | {r['added_mb']:.0f} | {r['rss_mb']:.0f} |")
    return ["Start-up to ready, each in a fresh process with warm caches: intents, content and embeddings, "
            "PocketSphinx with its intent model, the speech engine and one line rendered (budget: under "
            "3 s); the resident memory the speech engine adds in the assistant's process (pyttsx3 renders "
            "in a worker process of its own, not counted), and that process's peak.", "",
            "| speech engine | start-up to ready s | RSS added by the engine MB | peak RSS MB |",
            "|---|---:|---:|---:|", *rows, ""]
