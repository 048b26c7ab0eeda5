"""Addressed speech: in a room, most of what the microphone hears is two people talking to each
other. The loop answers what was said to it and stays quiet otherwise.

With no wake word (the default):
- a danger is always answered, and the safety question always asked (an answer to talk it
  overheard opens no follow-up window: the couple's next words are still not for it);
- a request ("i need a break", "explain step three") is acted on when it is confident: within
  the follow-up window the matcher's own threshold is enough, outside it (people may be talking
  to each other) it needs `unprompted` (78, chosen on the tune half of tests/data/room_*.tsv);
- distress said to nobody in particular ("we're barely holding it together") is still a moment to
  help: out of the blue it needs `unprompted_distress` (66), not `unprompted`. Chosen on the tune
  halves (tests/data/room_chatter.tsv's even rows, tests/data/distress_blind.tsv's tune half): the
  lowest bar at which no even chatter row is acted on; held out, it takes 96 of the 120 distress and
  help rows instead of 69, and acts on one more of 65 chatter lines (6, not 5; BENCHMARKS.md,
  "Distress, help and self-control"). Its answer is one question ("Would a breathing break help
  first?"), and a reply talked over is stopped like any other taken out of the blue. A self-control
  phrase ("i'm going outside before i lose it") is confident by itself (the matcher's score 100);
- a command that only means something while the assistant is busy (stop, next, slower, yes, ...)
  is acted on while it speaks, within the follow-up window after it last spoke, or while a
  walkthrough, breathing break or question is under way; otherwise it was said to the partner;
- a miss gets "Sorry, I didn't catch that" only within the follow-up window (about 8 s after the
  assistant last spoke or asked something), or when the utterance names it ("coach");
  any other miss is silent and logged in --events as ignored;
- a reply to a request taken out of the blue that people then talk over (twice, not to stop it)
  was not wanted: the couple were talking to each other, and one line of theirs happened to
  match. The loop stops it without a word, and it opens no follow-up window, so their next words
  are still not answered (room bench: one such match read step two aloud for a minute, and the
  talk over it and after it drew reprompts, stops and more replies).
`--always-answer` answers every miss (one person alone with it).

With a wake word: only what follows the wake word (or is said within the follow-up window)
is acted on, and safety is still always heard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from assistant.understanding.matcher import SAFETY
from assistant.understanding.normalize import normalize

SAFETY_INTENTS = (SAFETY, "safety_check")
# intents that answer or steer what the assistant is doing: said with nothing going on, and
# not right after it spoke, they were said to the partner ("stop interrupting me")
CONTROL = ("stop", "next", "previous", "repeat", "resume", "slower", "faster", "yes", "no", "goodbye",
           "timer_status")
NAMES = ("coach", "assistant")  # saying one of these addresses it
DISTRESS = ("distress",)  # upset with no ask in it: answered out of the blue at `unprompted_distress`


@dataclass(frozen=True)
class AddressSettings:
    follow_up: float = 8.0  # seconds after the assistant last spoke during which a miss is answered aloud
    always_answer: bool = False  # answer every miss with a reprompt (one person alone with it)
    wake_window: float = 6.0  # seconds after a wake word during which what is said is acted on
    unprompted: float = 78.0  # score 0-100 a request needs outside the follow-up window, unnamed
    unprompted_distress: float = 66.0  # the same for distress (upset, no ask in it); never above `unprompted`
    talked_over: int = 2  # utterances said over a reply to a request taken out of the blue that make it unwanted


@dataclass(frozen=True)
class Verdict:
    act: bool  # answer it (a reprompt for a miss)
    why: str  # for the events log: addressed, follow-up, named, wake word, safety, ...


class Addressing:
    def __init__(self, settings: AddressSettings = AddressSettings(), wake_word=None,
                 clock=time.monotonic) -> None:
        self.settings = settings
        self.wake_word = wake_word  # a wake.WakeWord, or None
        self.clock = clock
        self.last_spoke = clock()  # the greeting counts: a miss right after it is answered
        self.woken_at: float | None = None
        self.invited = True  # what it last said was asked for: a safety answer to talk it overheard was not
        self.unprompted = False  # what it last said answered a request taken out of the blue
        self.talked_over = 0  # utterances said over it since (not to stop it)

    def spoke(self) -> None:
        """The assistant is speaking (called while it is): the follow-up window runs from now."""
        self.last_spoke = self.clock()

    def hear(self, frame) -> bool:
        """Feed one microphone frame to the wake word, if there is one; True when it was just said."""
        if self.wake_word is None or not self.wake_word.process(frame):
            return False
        self.woken_at = self.clock()
        return True

    def in_follow_up(self) -> bool:
        """Within the follow-up window after it last spoke, when what it said was asked for (after
        a safety question prompted by a couple's argument, the argument is still not for it)."""
        return self.invited and not self.unwanted() and self.clock() - self.last_spoke <= self.settings.follow_up

    def heard_over(self) -> bool:
        """Someone spoke over its reply, and it was not a command to it (the loop let it go).
        True when that makes the reply unwanted: the loop stops it."""
        self.talked_over += 1
        return self.unwanted() and self.talked_over == self.settings.talked_over

    def unwanted(self) -> bool:
        """What it last said answered a request taken out of the blue, and people talked over it."""
        return self.unprompted and self.talked_over >= self.settings.talked_over

    def acted(self, verdict: Verdict) -> None:
        """The loop acted on an utterance with this verdict."""
        self.invited = verdict.why != "safety"
        self.unprompted, self.talked_over = verdict.why == "addressed", 0
        if verdict.why == "wake word":
            self.woken_at = None  # one wake word, one request; the follow-up window carries on from there

    def _unprompted(self, intent: str) -> float:
        """The score a request needs out of the blue: distress's own bar, or every other request's."""
        s = self.settings
        return min(s.unprompted, s.unprompted_distress) if intent in DISTRESS else s.unprompted

    def woken(self) -> bool:
        return self.woken_at is not None and self.clock() - self.woken_at <= self.settings.wake_window

    def decide(self, intent: str | None, score: float, text: str, *, busy: bool) -> Verdict:
        """Whether to act on an utterance heard with `intent` (None: not understood). `busy`:
        the assistant is speaking, or a walkthrough, break or question is under way."""
        named = any(name in normalize(text).split() for name in NAMES)
        if intent in SAFETY_INTENTS:
            return Verdict(True, "safety" if not (named or self.woken() or self.in_follow_up()) else "safety, addressed")
        if self.wake_word is not None:
            if self.woken():
                return Verdict(True, "wake word")
            if self.in_follow_up() or busy and intent in CONTROL:
                return Verdict(True, "follow-up")
            return Verdict(False, "no wake word")
        if intent is None:
            if self.settings.always_answer:
                return Verdict(True, "always answer")
            if named:
                return Verdict(True, "named")
            if self.in_follow_up():
                return Verdict(True, "follow-up")
            return Verdict(False, "not understood, not addressed")
        prompted = named or self.in_follow_up() or self.settings.always_answer
        if intent in CONTROL and not (busy or prompted):
            return Verdict(False, "a command with nothing to command")
        if intent not in CONTROL and not prompted and score < self._unprompted(intent):
            return Verdict(False, "not confident enough unprompted")
        return Verdict(True, "addressed" if not prompted else "follow-up")
