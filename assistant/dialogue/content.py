"""Guidance written for the ear: load content/*.yaml strictly into frozen values.

Files and their top-level keys (unknown keys are rejected with file and line):
  guide.yaml        overview, steps (13, each with the intent that asks for it), topics
  walkthroughs.yaml topics (e.g. i_statement)
  breathing.yaml    default_pattern, default_cycles, intro, close, patterns, time_out
  safety.yaml       default_region, message, close, log_note (said only when a log is on), regions
  dialogue.yaml     responses (the assistant's own short lines, keyed by intent or purpose)
  time_out.yaml     responses of the time-out (joined to dialogue.yaml's), restart (the walkthrough after it)
Texts may hold pause marks: "[pause]" (short) or "[pause 2]" (seconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant import yamlfile
from assistant.errors import ContentFileError
from assistant.understanding.barge_words import BARGE_WORDS

PAUSE = re.compile(r"\[pause(?:\s+(\d+(?:\.\d+)?))?\]")
SHORT_PAUSE = 0.7  # seconds for a bare "[pause]"
_PAUSE_LIKE = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Section:
    key: str  # the intent that asks for it (or "time_out", "overview")
    title: str
    parts: tuple[str, ...]
    number: int | None = None  # step number, for the 13 steps
    when_unsafe: tuple[str, ...] = ()  # said instead of parts once someone has said they are not safe


@dataclass(frozen=True)
class Phase:
    cue: str
    seconds: float
    kind: str  # inhale | hold | exhale


@dataclass(frozen=True)
class Pattern:
    key: str
    name: str
    phases: tuple[Phase, ...]

    @property
    def cycle_seconds(self) -> float:
        return sum(p.seconds for p in self.phases)


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str
    about: str


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    emergency: str
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class Content:
    overview: Section
    steps: tuple[Section, ...]  # steps[0] is step 1
    topics: dict[str, Section]  # keyed by intent name
    patterns: dict[str, Pattern]
    default_pattern: str
    default_cycles: int
    breathing_intro: str
    breathing_close: str
    time_out: Section
    safety_message: tuple[str, ...]
    safety_close: str
    regions: dict[str, Region]
    default_region: str
    responses: dict[str, tuple[str, ...]]
    restart: Section | None = None  # time_out.yaml: the walkthrough when a time-out brings them back
    safety_log_note: str = ""  # safety.yaml log_note: said in the safety answer when a log is being kept

    def section_for(self, intent: str) -> Section | None:
        for step in self.steps:
            if step.key == intent:
                return step
        return self.topics.get(intent)

    def keys(self) -> dict[str, str]:
        """Every content key that answers an intent, with where it is defined."""
        keys = dict(BUILTIN)
        keys.update({s.key: "guide.yaml steps" for s in self.steps})
        keys.update({k: "topics" for k in self.topics})
        keys.update({k: ("time_out" if k in TIME_OUT_RESPONSES else "dialogue") + ".yaml responses"
                     for k in self.responses})
        return keys


REQUIRED_RESPONSES = ("greeting", "reprompt", "help_after_misses", "error", "next", "previous", "repeat",
                      "stop", "resume", "slower", "faster", "help", "goodbye", "yes", "no",
                      "end_of_guide", "offer_next_step", "step_out_of_range", "break_done", "unsafe_note",
                      "greeting_reply", "distress", "distress_talk", "safety_check", "safety_check_safe")
# Intents answered by a whole content file or list rather than a key of their own name.
BUILTIN = {"take_break": "breathing.yaml", "safety": "safety.yaml", "explain_step": "guide.yaml steps",
           "list_steps": "guide.yaml overview"}
# Responses that are the assistant's own lines, not answers to an intent of the same name.
SYSTEM_RESPONSES = frozenset({"greeting", "reprompt", "help_after_misses", "error",
                              "end_of_guide", "offer_next_step", "step_out_of_range", "break_done",
                              "unsafe_note", "greeting_reply", "distress_talk", "safety_check", "safety_check_safe"})
# time_out.yaml's responses: the answers to time_out and timer_status, and the time-out's own lines.
TIME_OUT_RESPONSES = ("time_out", "timer_status", "time_out_none", "time_out_over", "time_out_running",
                      "time_out_restarted", "time_out_kept", "time_out_too_short", "time_out_too_long",
                      "time_out_cancel", "time_out_cancelled", "time_out_reminder", "time_out_return",
                      "time_out_next", "time_out_offer_step", "time_out_offer", "time_out_goodbye", "time_out_close")
SYSTEM_RESPONSES = SYSTEM_RESPONSES | set(TIME_OUT_RESPONSES[2:])


def _text(check: yamlfile.Checker, value, line, what) -> str:
    text = check.text(value, line, what)
    for mark in _PAUSE_LIKE.findall(text):
        if not PAUSE.fullmatch(mark):
            check.fail(line, f"{what}: {mark!r} is not a pause mark; write [pause] or [pause 2]")
    return text


def _section(check, value, line, key, *, number=None) -> Section:
    check.mapping(value, line, f"section {key!r}", required=("title", "parts"),
                  optional=(("number", "intent") if number is not None else ()) + ("when_unsafe",))

    def texts(field: str) -> tuple[str, ...]:
        if field not in value:
            return ()
        parts = check.sequence(value[field], value.lines[field], f"{field} of {key!r}")
        return tuple(_text(check, p, parts.lines[i], f"{field} {i + 1} of {key!r}") for i, p in enumerate(parts))

    return Section(key, check.text(value["title"], value.lines["title"], f"title of {key!r}"), texts("parts"),
                   number, texts("when_unsafe"))


def _topics(check, data, line) -> dict[str, Section]:
    topics = check.mapping(data, line, "topics", any_keys=True)
    return {k: _section(check, v, topics.lines[k], k) for k, v in topics.items()}


def load_content(directory: Path) -> Content:
    directory = Path(directory)
    files = {name: directory / f"{name}.yaml" for name in ("guide", "walkthroughs", "breathing", "safety", "dialogue",
                                                                "time_out")}
    raw = {}
    for name, path in files.items():
        data = yamlfile.load(path, ContentFileError)
        if data is None:
            raise ContentFileError(str(path), 1, "file is empty")
        raw[name] = (data, yamlfile.Checker(path, ContentFileError))

    data, check = raw["guide"]
    check.mapping(data, 1, "the file", required=("overview", "steps", "topics"))
    overview = _section(check, data["overview"], data.lines["overview"], "overview")
    steps_raw = check.sequence(data["steps"], data.lines["steps"], "steps")
    steps = []
    for i, item in enumerate(steps_raw):
        line = steps_raw.lines[i]
        check.mapping(item, line, f"step {i + 1}", required=("number", "intent", "title", "parts"))
        if item["number"] != i + 1:
            check.fail(item.lines["number"], f"step {i + 1} has number {item['number']!r}; steps must be numbered 1, 2, 3 in order")
        intent = check.text(item["intent"], item.lines["intent"], f"intent of step {i + 1}")
        steps.append(_section(check, item, line, intent, number=i + 1))
    topics = _topics(check, data["topics"], data.lines["topics"])

    data, check = raw["walkthroughs"]
    check.mapping(data, 1, "the file", required=("topics",))
    for key, section in _topics(check, data["topics"], data.lines["topics"]).items():
        if key in topics:
            check.fail(data["topics"].lines[key], f"topic {key!r} is already defined in guide.yaml")
        topics[key] = section

    data, check = raw["breathing"]
    check.mapping(data, 1, "the file", required=("default_pattern", "default_cycles", "intro", "close", "patterns", "time_out"))
    patterns = {}
    for key, body in check.mapping(data["patterns"], data.lines["patterns"], "patterns", any_keys=True).items():
        line = data["patterns"].lines[key]
        check.mapping(body, line, f"pattern {key!r}", required=("name", "phases"))
        phases_raw = check.sequence(body["phases"], body.lines["phases"], f"phases of pattern {key!r}")
        phases = []
        for i, ph in enumerate(phases_raw):
            pline = phases_raw.lines[i]
            check.mapping(ph, pline, f"phase {i + 1} of pattern {key!r}", required=("cue", "seconds", "kind"))
            if ph["kind"] not in ("inhale", "hold", "exhale"):
                check.fail(pline, f"phase {i + 1} of pattern {key!r}: kind {ph['kind']!r} must be inhale, hold or exhale")
            phases.append(Phase(check.text(ph["cue"], pline, "cue"),
                                float(check.number(ph["seconds"], pline, "seconds", low=0.5, high=30)), ph["kind"]))
        patterns[str(key)] = Pattern(str(key), check.text(body["name"], line, "name"), tuple(phases))
    default_pattern = str(data["default_pattern"])
    if default_pattern not in patterns:
        check.fail(data.lines["default_pattern"], f"default_pattern {default_pattern!r} is not one of the patterns")
    cycles = int(check.number(data["default_cycles"], data.lines["default_cycles"], "default_cycles", low=1, high=50))
    time_out = _section(check, data["time_out"], data.lines["time_out"], "time_out")
    intro = _text(check, data["intro"], data.lines["intro"], "intro")
    close = _text(check, data["close"], data.lines["close"], "close")

    data, check = raw["safety"]
    check.mapping(data, 1, "the file", required=("default_region", "message", "close", "log_note", "regions"))
    message = check.sequence(data["message"], data.lines["message"], "message")
    regions = {}
    for key, body in check.mapping(data["regions"], data.lines["regions"], "regions", any_keys=True).items():
        line = data["regions"].lines[key]
        check.mapping(body, line, f"region {key!r}", required=("name", "emergency", "resources"))
        res_raw = check.sequence(body["resources"], body.lines["resources"], f"resources of region {key!r}")
        resources = []
        for i, r in enumerate(res_raw):
            check.mapping(r, res_raw.lines[i], f"resource {i + 1} of region {key!r}", required=("name", "contact", "about"))
            resources.append(Resource(*(check.text(r[k], r.lines[k], k) for k in ("name", "contact", "about"))))
        regions[str(key)] = Region(str(key), check.text(body["name"], line, "name"),
                                   check.text(body["emergency"], body.lines["emergency"], "emergency"), tuple(resources))
    default_region = str(data["default_region"])
    if default_region not in regions:
        check.fail(data.lines["default_region"], f"default_region {default_region!r} is not one of the regions")
    safety_message = tuple(_text(check, m, message.lines[i], "message") for i, m in enumerate(message))
    safety_close = _text(check, data["close"], data.lines["close"], "close")
    log_note = _text(check, data["log_note"], data.lines["log_note"], "log_note")

    data, check = raw["dialogue"]
    check.mapping(data, 1, "the file", required=("responses",))
    responses = _responses(check, data, REQUIRED_RESPONSES, {})

    data, check = raw["time_out"]
    check.mapping(data, 1, "the file", required=("responses", "restart"))
    responses = _responses(check, data, TIME_OUT_RESPONSES, responses)
    restart = _section(check, data["restart"], data.lines["restart"], "restart")

    return Content(overview, tuple(steps), topics, patterns, default_pattern, cycles, intro, close, time_out,
                   safety_message, safety_close, regions, default_region, responses, restart, log_note)


def _responses(check, data, required: tuple[str, ...], known: dict) -> dict[str, tuple[str, ...]]:
    """The file's `responses` added to those already loaded: every required key, none twice."""
    responses = dict(known)
    body = check.mapping(data["responses"], data.lines["responses"], "responses", any_keys=True)
    for key, value in body.items():
        line = body.lines[key]
        if str(key) in known:
            check.fail(line, f"response {key!r} is already defined in dialogue.yaml")
        values = value if isinstance(value, list) else [value]
        if not values:
            check.fail(line, f"response {key!r} is empty")
        responses[str(key)] = tuple(_text(check, v, line, f"response {key!r}") for v in values)
        if str(key) in ACKNOWLEDGEMENTS:
            _no_barge_word(check, responses[str(key)], line, str(key))
    for key in required:
        if key not in responses:
            check.fail(body.line, f"responses is missing {key!r}")
    return responses


# Said just as it obeys a command heard over its own voice: its echo must not be that command again
# ("Okay, I've stopped" came back as "okay i stop", stopped the reply and was said again, five times).
ACKNOWLEDGEMENTS = ("stop", "slower", "break_done")


def _no_barge_word(check, texts: tuple[str, ...], line, key: str) -> None:
    for text in texts:
        said = re.search(r"\b(" + "|".join(map(re.escape, BARGE_WORDS)) + ")", text.lower())
        if said:
            check.fail(line, f"response {key!r} says {said.group(1)!r}: heard back through the microphone it "
                             f"would stop the reply it starts; say it without that word")


def strip_pauses(text: str) -> str:
    """The text for reading on screen: pause marks become nothing, spacing tidied."""
    return re.sub(r"\s{2,}", " ", PAUSE.sub(" ", text)).strip()


def split_pauses(text: str) -> list[tuple[str, float]]:
    """[(words, pause_after_seconds), ...] for the speech stage."""
    out: list[tuple[str, float]] = []
    pos = 0
    for m in PAUSE.finditer(text):
        out.append((text[pos:m.start()].strip(), float(m.group(1)) if m.group(1) else SHORT_PAUSE))
        pos = m.end()
    tail = text[pos:].strip()
    if tail or not out:
        out.append((tail, 0.0))
    return out
