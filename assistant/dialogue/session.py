"""The dialogue stage: session state and one turn at a time.

The text path (`assistant chat`, `assistant ask`) and the voice path share this stage: an
IntentMatch goes in, a Reply comes out. Expected misses are values (a reprompt), and a
handler that raises never ends the session: it is logged and a short apology is said.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from assistant.dialogue.content import Content, Section
from assistant.dialogue.time_out import QUESTIONS as TIME_OUT_QUESTIONS
from assistant.dialogue.time_out import TimeOutTurns
from assistant.dialogue.timer import Clock, TimeOutTimer
from assistant.messages import BreathingPlan, IntentMatch, Reply, Utterance
from assistant.understanding.matcher import SELF_CONTROL, IntentRecognizer
from assistant.understanding.normalize import number_words

log = logging.getLogger(__name__)

SAFETY_CHECK = "safety_check"  # the verdict on uncertain danger: one caring question
RATE_STEP = 1.2  # each "slower"/"faster" divides/multiplies the speaking rate by this
RATE_LIMITS = (0.5, 2.0)  # slowest and fastest rate, as a multiple of the configured rate


@dataclass(frozen=True)
class DialogueSettings:
    region: str | None = None  # safety resources region (content/safety.yaml); None = the file's default
    cycles: int | None = None  # breathing cycles per break; None = content default
    misses_before_help: int = 2  # misses in a row before the longer help
    timeout_reminder: bool = False  # also speak up when half of a time-out has passed
    logs_kept: bool = False  # a --transcript or --events log is on: the safety answer says the device keeps it


@dataclass
class Session:
    section: Section | None = None  # what is being read (a step, a topic, the overview)
    last: Reply | None = None  # the last reply, for "repeat"
    last_question: tuple[str, object] | None = None  # the question the last reply left pending
    stopped: tuple[Reply, tuple | None] | None = None  # what "stop" interrupted, for "resume"
    question: tuple[str, object] | None = None  # pending yes/no question: (kind, value)
    misses: int = 0
    rate: float = 1.0  # speaking/pacing rate multiple set by slower/faster
    turns: int = 0
    unsafe: bool = False  # they said they are not safe: the guide stops urging them to save it
    said: dict = field(default_factory=dict)  # response key -> times used (rotates variants)
    walk: int | None = None  # the part of the restart being read after a time-out (time_out.py)


def _counted(cue: str, seconds: float) -> str:
    """One breathing phase as said: "Breathe in, two, three, four." with a pause after each count."""
    counts = max(1, int(seconds))
    words = [cue] + [number_words(k) for k in range(2, counts + 1)]
    said = [w + ("," if i < len(words) - 1 else ".") for i, w in enumerate(words)]
    return " ".join(f"{w} [pause {round(seconds / counts, 2):g}]" for w in said)


class Dialogue(TimeOutTurns):
    def __init__(self, matcher: IntentRecognizer, content: Content,
                 settings: DialogueSettings = DialogueSettings(), clock: Clock | None = None) -> None:
        self.matcher = matcher
        self.content = content
        self.settings = settings
        self.session = Session()
        self.timer = TimeOutTimer(clock, settings.timeout_reminder)  # one time-out at a time; its calls: time_up

    def reset(self) -> None:
        self.session = Session()
        self.timer.cancel()

    def greeting(self) -> Reply:
        return Reply(self._say("greeting"))

    def apology(self) -> Reply:
        """What is said when something failed on the assistant's side."""
        return Reply(self._say("error"))

    # -- one turn -----------------------------------------------------------------------
    def turn(self, utterance: Utterance | str) -> tuple[IntentMatch, Reply]:
        text = utterance.text if isinstance(utterance, Utterance) else utterance
        alternatives = utterance.alternatives if isinstance(utterance, Utterance) else ()
        match = self.matcher.match_any((text, *alternatives)) if alternatives else self.matcher.match(text)
        return match, self.respond(match)

    def respond(self, match: IntentMatch) -> Reply:
        s = self.session
        s.turns += 1
        try:
            reply = self._handle(match)
        except Exception:  # a handler bug must not end the session
            log.exception("handler for %r failed", match.intent)
            reply = Reply(self._say("error"), match.intent)
        if match.intent is not None:
            s.misses = 0
        if match.intent not in ("repeat", None):
            s.last, s.last_question = reply, s.question
        return reply

    def _handle(self, m: IntentMatch) -> Reply:
        s = self.session
        intent = m.intent
        if intent is None:
            return self._miss()
        question, s.question = s.question, None
        if intent == "safety" or (intent == SAFETY_CHECK and question is not None and question[0] == SAFETY_CHECK):
            return self._safety()  # a second uncertain sign of danger, right after asking, is enough
        if intent in ("yes", "no") and question is not None:
            return self._answer(question, intent == "yes")
        handler = getattr(self, f"_on_{intent}", None)
        if handler is not None:
            return handler(m)
        section = self.content.section_for(intent)
        if section is None:
            raise LookupError(f"no content for intent {intent!r}")
        return self._read(section)

    # -- helpers ------------------------------------------------------------------------
    def _say(self, key: str, **values: object) -> str:
        variants = self.content.responses[key]
        n = self.session.said.get(key, 0)
        self.session.said[key] = n + 1
        return variants[n % len(variants)].format(**values)

    def _read(self, section: Section, intent: str | None = None) -> Reply:
        s = self.session
        s.section, s.walk = section, None
        parts = section.parts
        if s.unsafe:  # the seed's rule: where there is abuse, safety comes before saving anything
            parts = section.when_unsafe or (self._say("unsafe_note"),) + section.parts
        text = " [pause 1] ".join(parts)
        question = None
        if section.number is not None and section.number < len(self.content.steps):
            following = self.content.steps[section.number]
            s.question = ("step", following.number)
            question = self._say("offer_next_step", number=following.number, title=following.title)
            text = f"{text} [pause 1] {question}"
        return Reply(text, intent or section.key, question=question)

    def _miss(self) -> Reply:
        s = self.session
        s.misses += 1
        if s.misses >= self.settings.misses_before_help:
            s.misses = 0
            return Reply(self._say("help_after_misses"))
        return Reply(self._say("reprompt"))

    def _step(self, number: int) -> Reply:
        if not 1 <= number <= len(self.content.steps):
            return Reply(self._say("step_out_of_range", step=number), "explain_step")
        return self._read(self.content.steps[number - 1], "explain_step")

    def _answer(self, question: tuple[str, object], yes: bool) -> Reply:
        kind, value = question
        intent = "yes" if yes else "no"
        if kind in TIME_OUT_QUESTIONS:
            return self._time_out_answer(kind, value, yes)
        if kind == SAFETY_CHECK:  # "are you safe right now?"
            return self._safety() if not yes else Reply(self._say("safety_check_safe"), intent)
        if kind == "distress" and not yes:
            return Reply(self._say("distress_talk"), intent)
        if not yes:
            return Reply(self._say("no"), intent)
        if kind == "distress":
            return self._on_take_break(IntentMatch("take_break", 100.0))
        if kind == "step":
            return self._step(int(value))
        if kind == "time_out":
            return self._time_out_protocol(intent)
        raise LookupError(f"unknown pending question {kind!r}")

    # -- intents with their own behaviour -------------------------------------------------
    def _safety(self) -> Reply:
        s = self.session
        s.section, s.stopped, s.unsafe, s.walk = None, None, True, None
        self.timer.cancel()  # nobody is called back into the room after a danger
        c = self.content
        region = c.regions.get(self.settings.region or c.default_region, c.regions[c.default_region])
        lines = list(c.safety_message)
        lines.append(f"If you are in danger right now, call {region.emergency}.")
        regions = [region] + [r for k, r in c.regions.items() if k == "intl" and r is not region]
        for r in regions:
            for res in r.resources:
                lines.append(f"{res.name}: {res.contact}. {res.about[:1].upper()}{res.about[1:]}.")
        if self.settings.logs_kept:
            lines.append(c.safety_log_note)
        lines.append(c.safety_close)
        return Reply(" [pause] ".join(lines), "safety")

    def _ask(self, kind: str, key: str, intent: str) -> Reply:
        """One short question; the yes or no that follows answers it."""
        text = self._say(key)
        self.session.question = (kind, None)
        return Reply(text, intent, question=text)

    def _on_safety_check(self, m: IntentMatch) -> Reply:
        return self._ask(SAFETY_CHECK, "safety_check", SAFETY_CHECK)

    def _on_distress(self, m: IntentMatch) -> Reply:
        return self._ask("distress", "distress", "distress")

    def _on_greeting(self, m: IntentMatch) -> Reply:
        return Reply(self._say("greeting_reply"), "greeting")

    def _on_take_break(self, m: IntentMatch) -> Reply:
        c = self.content
        pattern = c.patterns.get(str(m.slots.get("pattern", "")), c.patterns[c.default_pattern])
        cycles = self.settings.cycles or c.default_cycles
        plan = BreathingPlan(pattern.key, cycles)
        intro = c.breathing_intro.format(name=pattern.name, cycles=number_words(cycles))
        cues = " ".join(_counted(p.cue, p.seconds) for p in pattern.phases)
        script = " ".join([cues] * cycles)
        self.session.section, self.session.walk = None, None
        self.session.question = ("time_out", None)
        if m.slots.get(SELF_CONTROL) and "take_break" in c.responses:
            # they named what they feared they might do, and chose to calm down: say that was right
            intro = f"{self._say('take_break')} [pause] {intro}"
        return Reply(f"{intro} [pause 1] {script} {c.breathing_close}", "take_break", breathing=plan,
                     question=c.breathing_close)

    def _on_explain_step(self, m: IntentMatch) -> Reply:
        step = m.slots.get("step")
        if step is None:
            return self._read(self.content.overview, "explain_step")
        return self._step(int(step))

    def _on_list_steps(self, m: IntentMatch) -> Reply:
        return self._read(self.content.overview, "list_steps")

    def _on_next(self, m: IntentMatch) -> Reply:
        if self.session.walk is not None:
            return self._walk(1, "next")
        section = self.session.section
        if section is not None and section.number is not None:
            if section.number < len(self.content.steps):
                return self._step(section.number + 1)
            return Reply(self._say("end_of_guide"), "next")
        if section is self.content.overview:
            return self._step(1)
        return Reply(self._say("next"), "next")

    def _on_previous(self, m: IntentMatch) -> Reply:
        if self.session.walk is not None:
            return self._walk(-1, "previous")
        section = self.session.section
        if section is not None and section.number is not None and section.number > 1:
            return self._step(section.number - 1)
        return Reply(self._say("previous"), "previous")

    def _on_repeat(self, m: IntentMatch) -> Reply:
        last = self.session.last
        if last is None:
            return Reply(self._say("repeat"), "repeat")
        self.session.question = self.session.last_question
        return last

    def _on_stop(self, m: IntentMatch) -> Reply:
        if self._stops_time_out(m):
            return self._ask_cancel()
        s = self.session
        if s.last is not None and s.last.intent not in ("stop", "help", "goodbye"):
            s.stopped = (s.last, s.last_question)
        if s.last is not None and s.last.breathing is not None:
            return Reply(self._say("break_done"), "stop")
        return Reply(self._say("stop"), "stop")

    def _on_resume(self, m: IntentMatch) -> Reply:
        s = self.session
        if s.stopped is None:
            return Reply(self._say("resume"), "resume")
        (reply, s.question), s.stopped = s.stopped, None
        return reply

    def _on_slower(self, m: IntentMatch) -> Reply:
        self.session.rate = max(RATE_LIMITS[0], self.session.rate / RATE_STEP)
        return Reply(self._say("slower"), "slower")

    def _on_faster(self, m: IntentMatch) -> Reply:
        self.session.rate = min(RATE_LIMITS[1], self.session.rate * RATE_STEP)
        return Reply(self._say("faster"), "faster")

    def _on_help(self, m: IntentMatch) -> Reply:
        return Reply(self._say("help"), "help")

    def _on_goodbye(self, m: IntentMatch) -> Reply:
        return Reply(self._say("goodbye") + self._time_out_goodbye(), "goodbye", end_session=True)

    def _on_yes(self, m: IntentMatch) -> Reply:
        return Reply(self._say("yes"), "yes")

    def _on_no(self, m: IntentMatch) -> Reply:
        return Reply(self._say("no"), "no")
