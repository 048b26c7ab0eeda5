"""Speech out: render cost, cache hits in a breathing session, and live figures through a
PulseAudio null sink (speech played with sounddevice, recorded from the sink's monitor)."""

from __future__ import annotations

import statistics
import time

from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer
from assistant.speaking.renderer import VoiceSettings
from assistant.speaking.speaker import Speaker

from .common import Run, null_sinks, percentile


def section(run: Run) -> list[str]:
    from tests.audio_tools import onsets  # the same measurement the tests use

    quick, progress = run.quick, run.progress
    lines = ["## Speech out (pyttsx3 + espeak-ng, sounddevice)", ""]
    renderer = Pyttsx3Renderer()
    t = time.perf_counter()
    renderer.start()
    start_s = time.perf_counter() - t
    speaker = Speaker(renderer, None, VoiceSettings(), run.app.content)
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
        from tests.pulse import Recorder
    except ImportError as exc:  # pragma: no cover
        return lines + ["", f"Live figures skipped: {exc}", ""]
    progress("live: starting a PulseAudio null sink")
    with null_sinks("bench-pulse-"):
        return lines + live_rows(run, Recorder, onsets)


def live_rows(run: Run, Recorder, onsets) -> list[str]:
    """Through the null sink: a breathing session's cue onsets as recorded, time to first audio of a
    reply (as measured by Speaker and as recorded) and how long sound goes on after stop()."""
    from assistant.speaking.playback import SoundDevicePlayer

    quick, progress = run.quick, run.progress
    renderer = Pyttsx3Renderer()
    renderer.start()
    live = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), run.app.content)
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
    return [
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
