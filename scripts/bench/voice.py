"""Voice loop: end of speech to first audio of the answer, through real virtual devices: the bench
speaks (espeak-ng) into one PulseAudio null sink whose monitor is the assistant's microphone, and
records the assistant's speaker (another null sink) to find its first sound. Leaves the stages and
totals in run.shared["voice"] for the plot."""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import threading
import time

from .common import Run, null_sinks, percentile
from .spoken.audio import render

PHRASES = ["i need a break", "explain step three", "next step", "stop", "help me apologize",
           "what can i say", "go back", "repeat that", "list the steps", "slower please"]
STAGES = {"endpoint": "endpoint wait (trailing silence, detected)", "decode": "decode finalise",
          "match": "intent match", "dialogue": "dialogue", "first_audio": "render + playback start"}


def section(run: Run) -> list[str]:
    phrases = PHRASES[:4] if run.quick else PHRASES * 2
    with null_sinks("bench-voice-", "mic", "spk") as server:
        try:
            turns, totals = spoken_turns(run, server, phrases)
        finally:
            os.environ.pop("PULSE_SINK", None)
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
    for key, label in STAGES.items():
        v = stages.get(key, [])
        if v:
            lines.append(f"| {label} | {len(v)} | {statistics.median(v):.0f} | {percentile(v, 95):.0f} |")
    if totals:
        lines.append(f"| **end of speech to first sound recorded on the speaker** | {len(totals)} | "
                     f"**{statistics.median(totals):.0f}** | **{percentile(totals, 95):.0f}** |")
    lines.append("")
    run.shared["voice"] = {"stages": {STAGES[k]: v for k, v in stages.items() if k in STAGES}, "totals": totals}
    return lines


def spoken_turns(run: Run, server, phrases: list[str]) -> tuple[list[dict], list[float]]:
    """Each phrase played into the "mic" sink while a VoiceLoop listens on its monitor and answers
    into the "spk" sink; returns the loop's turn events and, per phrase, ms from the end of the
    phrase to the first sound recorded from "spk"."""
    from assistant.audio import trim_silence, write_wav
    from assistant.hearing.capture import CaptureSettings, Microphone
    from assistant.hearing.recognize import PocketSphinxEngine
    from assistant.room.events import Events
    from assistant.room.loop import VoiceLoop
    from assistant.room.overvoice import LoopSettings
    from assistant.speaking.playback import SoundDevicePlayer
    from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
    from assistant.speaking.renderer import VoiceSettings
    from assistant.speaking.speaker import Speaker
    from tests.pulse import Recorder

    app = run.app
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
    run.progress(f"voice loop: {len(phrases)} spoken turns through the null sinks")
    wav = server.folder / "say.wav"
    with Recorder(device="pulse") as rec:  # the default source is spk.monitor
        for text in phrases:
            audio = trim_silence(render(text, "en-us", 150))
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
    return [json.loads(line) for line in log.getvalue().splitlines() if '"turn"' in line], totals
