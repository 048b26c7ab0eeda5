"""Time-out: how late the return prompt sounds. Ten short time-outs run on a scaled clock (one
clock minute in a second of real time, so the bench does not wait minutes) with the shipped
calls path (`assistant.calls.Calls`: timer thread, dialogue, chime, speech) and a real speaker on a
PulseAudio null sink, whose monitor is recorded; the error is the real time from when each
time-out was due to the first sound recorded, and to the first word after the chime."""

from __future__ import annotations

import statistics
import threading
import time

import numpy as np

from .common import Run, null_sinks

SPEED = 60.0  # clock seconds per real second: a one-minute time-out lasts one second
LEVEL = 0.004  # RMS of a recorded block that counts as sound (as tests/pulse.py Recorder)


def section(run: Run) -> list[str]:
    with null_sinks("bench-timeout-"):
        late, words, fired = firing_errors(run, 10)
    if not late:
        return ["## Time-out: the return prompt on time", "", "No sound was recorded.", ""]
    return ["## Time-out: the return prompt on time", "",
            f"{len(late)} one-minute time-outs on a clock running {SPEED:g} times real time (so one lasts a "
            "second), each called back through the shipped path (`assistant/room/calls.py`: the timer's thread wakes, "
            "the dialogue chooses the words, a soft chime, then the return prompt spoken by the default Piper "
            "voice) into a PulseAudio null sink whose monitor is recorded. Error = real time from when the "
            "time-out was due to the sound recorded (PulseAudio's output and capture latency included). The "
            "test through the voice loop holds one real minute to within 1 s.", "",
            "| from due to | time-outs | median ms | max ms |", "|---|---:|---:|---:|",
            f"| the timer's thread handing on the call | {len(fired)} | {statistics.median(fired):.0f} | "
            f"{max(fired):.0f} |",
            f"| **first sound (the chime)** | {len(late)} | **{statistics.median(late):.0f}** | **{max(late):.0f}** |",
            f"| first word of the return prompt (after the 1 s chime) | {len(words)} | "
            f"{statistics.median(words):.0f} | {max(words):.0f} |", ""]


def firing_errors(run: Run, n: int) -> tuple[list[float], list[float], list[float]]:
    """ms from due to first sound, to the first word after the chime, and to the call being handed on."""
    from assistant.dialogue.session import DialogueSettings
    from assistant.dialogue.timer import ScaledClock
    from assistant.room.calls import CHIME, Calls
    from assistant.speaking.playback import SoundDevicePlayer
    from assistant.speaking.renderer import VoiceSettings
    from assistant.speaking.speaker import Speaker
    from assistant.speaking.speech import open_renderer
    from tests.pulse import Recorder

    chime_s = max(at + seconds for _, at, seconds in CHIME)
    renderer = open_renderer(VoiceSettings(), run.progress)
    speaker = Speaker(renderer, SoundDevicePlayer("pulse"), VoiceSettings(), run.app.content)
    clock = ScaledClock(SPEED)
    dialogue = run.app.dialogue(DialogueSettings(), clock)
    answered = threading.Event()

    def answer(reply) -> None:
        speaker.speak_reply(reply)
        answered.set()

    calls = Calls(dialogue, answer, lambda: speaker)
    late, words, fired = [], [], []
    run.progress(f"time-out: {n} short time-outs called back through a null sink")
    with calls, Recorder() as rec:
        for _ in range(n):
            speaker.stop()
            time.sleep(0.5)
            answered.clear()
            rec.blocks.clear()
            due = clock.real(dialogue.timer.start(1).due)
            answered.wait(timeout=30)
            time.sleep(0.8)  # the first words sound
            speaker.stop()
            with rec._lock:
                blocks = [(t - len(b) / rec.rate, float(np.sqrt((b ** 2).mean()))) for t, b in rec.blocks]
            loud = [t for t, rms in blocks if rms > LEVEL and t > due - 0.5]
            if loud:
                late.append((loud[0] - due) * 1000)
                after = [t for t in loud if t > loud[0] + chime_s + 0.05]
                if after:
                    words.append((after[0] - due) * 1000)
            call = [c for c in calls.calls if c["event"] == "time-out due"][-1]
            fired.append((call["fired_at"] - call["scheduled_at"]) * 1000)
    dialogue.timer.close()
    speaker.close()
    return late, words, fired
