"""Breathing breaks: a schedule of cues from a pattern in content/breathing.yaml, and its audio.

Cue onsets are fixed by the pattern alone ("Breathe in" at 0 s, "two" at 1 s, ...). The words
must fit the time they have: a cue that would overrun is said faster and, if still too long,
cut with a fade. The breath is never shortened to fit the words.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.audio import Audio, fit, resample, tone
from assistant.dialogue.content import Content, Pattern
from assistant.speaking.layout import lay_text
from assistant.speaking.playback import Timeline
from assistant.understanding.normalize import number_words

LEAD_IN = 1.0  # seconds of quiet between the intro and the first cue
GAP = 0.12  # seconds of quiet a cue leaves before the next one
TONE_SECONDS = 0.14  # length of the optional chime at each phase change
TONE_HZ = {"inhale": 528.0, "hold": 440.0, "exhale": 396.0}
CLOSE_AFTER = 0.8  # seconds after the last breath before the closing words


@dataclass(frozen=True)
class Cue:
    at: float  # seconds from the start of the session
    text: str
    room: float  # seconds until the next cue
    phase: str | None = None  # inhale | hold | exhale at the start of a phase, else None


def cycles_for(pattern: Pattern, minutes: float) -> int:
    return max(1, round(minutes * 60 / pattern.cycle_seconds))


def schedule(pattern: Pattern, cycles: int, start: float = 0.0) -> tuple[list[Cue], float]:
    """The cues of `cycles` cycles from `start`; returns them and the time the last breath ends."""
    cues: list[Cue] = []
    t = start
    for _ in range(cycles):
        for phase in pattern.phases:
            counts = max(1, int(phase.seconds))
            step = phase.seconds / counts
            for k in range(counts):
                text = phase.cue if k == 0 else number_words(k + 1)
                cues.append(Cue(round(t + k * step, 6), text, step, phase.kind if k == 0 else None))
            t += phase.seconds
    return cues, t


class Renders:
    """What a session needs from the speech stage: text -> audio at a words-per-minute rate."""

    def render(self, text: str, rate: int) -> Audio: ...


def cue_audio(renderer: Renders, text: str, rate: int, room: float, out_rate: int) -> Audio:
    """The words of one cue, made to fit `room` seconds: said faster first, then cut."""
    clip = resample(renderer.render(text, rate), out_rate)
    if clip.seconds > room and room > 0:
        # a few fixed speed-ups, so each is one more worker at most (see pyttsx3_tts.py)
        need = clip.seconds / room * 1.1
        faster = round(rate * next((f for f in (1.25, 1.5, 2.0) if f >= need), 2.0))
        clip = resample(renderer.render(text, faster), out_rate)
    return fit(clip, room)


def build(content: Content, pattern_key: str, cycles: int, renderer: Renders, rate: int, *,
          tones: bool = False, out_rate: int = 22050, on_intro=None) -> tuple[Timeline, list[Cue]]:
    """Lay a whole session on a timeline. `on_intro(timeline)` is called as soon as the intro is
    placed, so playback can start while the cues are still being rendered."""
    pattern = content.patterns[pattern_key]
    timeline = Timeline(out_rate)
    intro = content.breathing_intro.format(name=pattern.name, cycles=number_words(cycles))
    intro_end = lay_text(timeline, 0.0, intro, renderer, rate)
    if on_intro is not None:
        on_intro(timeline)
    cues, end = schedule(pattern, cycles, start=intro_end + LEAD_IN)
    for cue in cues:
        at, room = cue.at, cue.room - GAP
        if tones and cue.phase:
            timeline.add(at, tone(TONE_HZ[cue.phase], TONE_SECONDS, out_rate))
            at, room = at + TONE_SECONDS + 0.04, room - TONE_SECONDS - 0.04
        timeline.add(at, cue_audio(renderer, cue.text, rate, room, out_rate))
    lay_text(timeline, end + CLOSE_AFTER, content.breathing_close, renderer, rate)
    return timeline.close(), cues
