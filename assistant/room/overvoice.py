"""What is heard while the assistant speaks, and which of it is acted on (room/loop.py asks).

Barge-in (on by default): "stop" (also wait, pause, enough, quiet) and "slower", when the word
itself was heard (the residue of its own voice decodes to scraps that match commands loosely).
The safety watch: a danger, when it is a danger phrase or four words or more, and not the reply's
own words coming back (a partial-ratio of `echo` or more against the reply being spoken). Over the
safety answer itself, danger is not acted on again: it is already being answered, and its own
numbers and words, misheard through a weak echo path ("call mind hundred eleven the actual domestic
violence"), started it again and again in the room soak.

In an utterance the echo canceller took nearly all of (it kept under `echo_kept` of what the
microphone heard, from up to 0.6 s before the utterance's start), the recogniser was decoding the
residue of its own voice: "i hurt her" and "to choke me" from a step being read, "pause" from
"physical pause", "okay i stop" from its own "Okay, I've stopped". A person talking over it
keeps a third or more of theirs; the residue, 0.1-0.2% (room bench). There a command is not
acted on, and a danger must be both a danger phrase and four words or more.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from assistant.dialogue.session import SAFETY_CHECK
from assistant.understanding.barge_words import BARGE_IN, BARGE_WORDS
from assistant.understanding.matcher import SAFETY
from assistant.understanding.normalize import normalize


@dataclass(frozen=True)
class LoopSettings:
    guard: float = 0.3  # seconds after playback (or a tone) during which the mic is still ignored
    barge_in: bool = True  # while speaking, listen for stop (wait, pause) and slower; False: only danger
    early: bool = True  # act on a danger phrase, or a command word over its voice, before the silence window
    safety_watch: bool = True  # while speaking, still listen: a danger stops the reply at once
    echo: float = 85.0  # score 0-100: a danger this close to the reply being spoken is its echo
    short: int = 3  # words: over its voice, a barge-in word in an alternative counts for an utterance this short
    echo_kept: float = 0.05  # share of the utterance's energy the canceller kept, under which it was mostly its own voice


class OverItsVoice:
    def __init__(self, settings: LoopSettings) -> None:
        self.settings = settings
        self.saying = ""  # the reply being spoken, normalised
        self.saying_safety = False  # it is the safety answer (never cut short by its own echo)
        self.energy = [0.0, 0.0]  # the utterance so far: microphone energy, and what the canceller kept of it

    def listening(self) -> bool:
        """Whether anything is heard while it speaks."""
        return self.settings.barge_in or (self.settings.safety_watch and not self.saying_safety)

    def heeded(self, intent: str | None, text: str, stage: str = "phrase") -> bool:
        """Whether what was heard while it spoke is acted on."""
        if intent in (SAFETY, SAFETY_CHECK) and self.saying_safety:
            return False  # the safety answer is being given: its own echo, or danger it already answers
        if intent == SAFETY:
            words = len(text.split())
            weighty = (stage == "phrase" and words >= 4) if self.mostly_echo() else (stage == "phrase" or words >= 4)
            return self.settings.safety_watch and weighty and not self.echo(text)
        return (self.settings.barge_in and intent in BARGE_IN and self.barge_word(text) == intent
                and not self.mostly_echo())

    def mostly_echo(self) -> bool:
        heard, kept = self.energy
        return heard > 0 and kept < self.settings.echo_kept * heard

    def kept(self) -> dict:
        """For the events: the share of the utterance the canceller kept (when there is a canceller)."""
        heard, kept = self.energy
        return {"kept": round(kept / heard, 4)} if heard else {}

    def echo(self, text: str) -> bool:
        """Whether a danger heard while speaking is the reply itself, picked up by the microphone."""
        heard = normalize(text)
        return bool(self.saying and heard) and fuzz.partial_ratio(heard, self.saying) >= self.settings.echo

    def barge_heard(self, text: str, alternatives: tuple[str, ...]) -> tuple[str | None, str]:
        """The barge-in command in an utterance heard over its voice, and the hypothesis that holds
        it: the best one; or, when the utterance is short and the canceller did not take nearly all
        of it (a person said it), any of the recogniser's alternatives. "stop" said over a step came
        out as "to die", "it's about" or "top", with "stop" among the alternatives (room bench)."""
        found = self.barge_word(text)
        if found or len(text.split()) > self.settings.short or self.mostly_echo():
            return found, text
        for other in alternatives:
            found = self.barge_word(other)
            if found:
                return found, other
        return None, text

    def barge_word(self, partial: str) -> str | None:
        """The barge-in command a partial result heard over its own voice holds, if any."""
        if not self.settings.barge_in or not partial:
            return None
        heard = f" {normalize(partial)} "
        return next((intent for word, intent in BARGE_WORDS.items() if f" {word} " in heard), None)
