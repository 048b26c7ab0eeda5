"""The soak run's two paths: typed turns through a Dialogue, and spoken turns (espeak-ng clips
decoded by one PocketSphinx recognizer, matched and answered, some replies rendered to speech)."""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from evaluate import OOS, dev_rows, read_tsv

from assistant.app import recognizer
from assistant.audio import read_wav, resample, write_wav
from assistant.hearing.recognize import RATE, transcribe
from assistant.understanding.normalize import number_words

from ..spoken.audio import render
from .memory import Sample, Sampler

# Spoken on the audio path: commands PocketSphinx hears on espeak-ng speech, a goodbye that ends the
# session ("goodbye" alone is mostly heard as "what was i"), and two CLINC150 out-of-scope queries
# whose biased decode matches no intent, so the recognizer's free-form second pass runs too.
AUDIO_PHRASES = ["i need a break", "explain step three", "the next step", "go back", "repeat that",
                 "stop", "resume", "list the steps", "that is all for now",
                 "what is naval engineering", "who formulated the theory of relativity"]


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


def sample_after(sampler: Sampler, i: int, turns: int, every: int, warm: int, report) -> None:
    """After turn i: a sample every `every` turns and after the last (live objects counted by type at
    the first sample after warm-up and at the last); report(sample) every tenth of the phase."""
    if i % every == 0 or i == turns:
        s = sampler.take(i, types=i == turns or not any(x.types for x in sampler.samples) and i >= warm)
        if i % max(1, turns // 10) == 0 or i == turns:
            report(s)


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
        sample_after(sampler, i, turns, every, warm, lambda s: progress(
            f"text {i:,}/{turns:,}: RSS {s.rss_mb:.1f} MB, {s.objects:,} objects"))
    return Phase("text", turns, every, sampler.samples, turn_ms, sessions, {"not understood": misses})


def render_clips(phrases: list[str], folder: Path) -> list:
    """espeak-ng (en-us, 150 wpm; cached like the spoken benchmark's renders) resampled to 16 kHz
    mono WAV, read back once."""
    clips = []
    for i, text in enumerate(phrases):
        wav = folder / f"clip-{i}.wav"
        write_wav(wav, resample(render(text, "en-us", 150), RATE))
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
    from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
    from assistant.speaking.renderer import VoiceSettings
    from assistant.speaking.speaker import Speaker

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
            sample_after(sampler, i, turns, every, warm, lambda s: progress(
                f"audio {i:,}/{turns:,}: RSS {s.rss_mb:.1f} MB, worker {s.child_rss_mb:.1f} MB, {s.objects:,} objects"))
    finally:
        renderer.close()
    notes = {"phrases": len(phrases), "exact": right, "changed": changed, "free": free, "tts_ms": tts_ms,
             "renders": renderer.misses, "extra": extra, "cache_hits": renderer.hits, "restarts": renderer.restarts,
             "cache_size": renderer._cache_size, "tts_every": tts_every}
    return Phase("audio", turns, every, sampler.samples, turn_ms, sessions, notes)
