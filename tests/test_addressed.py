"""Addressed speech: what the loop answers in a room where two people also talk to each other
(assistant/room/addressed.py), on the clock it is given, and on the held-out half of the room sets."""

from __future__ import annotations

from assistant.room.addressed import CONTROL, SAFETY_INTENTS, Addressing, AddressSettings
from tests.conftest import DATA, read_tsv


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def addressing(**settings) -> tuple[Addressing, Clock]:
    clock = Clock()
    return Addressing(AddressSettings(**settings), clock=clock), clock


def test_a_miss_right_after_it_spoke_is_answered_and_later_is_not():
    a, clock = addressing()
    a.spoke()
    clock.now += 5
    assert a.decide(None, 30.0, "mumble mumble", busy=False).act
    clock.now += 4  # 9 s after it last spoke: the window (8 s) has passed
    verdict = a.decide(None, 30.0, "mumble mumble", busy=False)
    assert not verdict.act and verdict.why == "not understood, not addressed"


def test_always_answer_reprompts_every_miss():
    a, clock = addressing(always_answer=True)
    clock.now += 60
    assert a.decide(None, 30.0, "mumble", busy=False).act


def test_naming_the_coach_gets_an_answer_to_a_miss():
    a, clock = addressing()
    clock.now += 60
    assert a.decide(None, 40.0, "coach are you listening to this", busy=False).why == "named"


def test_danger_is_acted_on_always_even_with_a_wake_word_never_said():
    class Never:
        name = "hey_jarvis"

        def process(self, frame) -> bool:
            return False

        def reset(self) -> None: ...

    a, clock = addressing()
    a.wake_word = Never()
    clock.now += 60
    for intent in SAFETY_INTENTS:
        assert a.decide(intent, 60.0, "he hit me", busy=False).act
    assert not a.decide("take_break", 100.0, "i need a break", busy=False).act  # no wake word said


def test_stop_with_nothing_going_on_was_said_to_the_partner():
    a, clock = addressing()
    clock.now += 60
    assert not a.decide("stop", 90.0, "will you stop", busy=False).act
    assert a.decide("stop", 90.0, "stop", busy=True).act  # while it speaks or a question is pending


def test_a_request_out_of_the_blue_needs_a_confident_match():
    a, clock = addressing()
    clock.now += 60
    assert a.decide("take_break", 86.0, "i need a break right now", busy=False).act
    assert not a.decide("communicate", 71.0, "you never listen", busy=False).act
    a.spoke()
    assert a.decide("communicate", 71.0, "you never listen", busy=False).act  # just after it spoke


def test_held_out_couples_talk_is_left_alone_and_requests_are_taken(app):
    """The held-out (odd) rows of the room sets, as text, heard out of the blue (the bar was chosen
    on the even rows): talk between partners that the addressing rule would act on (safety
    aside: the safety net's verdicts are measured in test_understanding) and requests kept."""
    a, clock = addressing()
    clock.now += 60
    chatter = [r["text"] for i, r in enumerate(read_tsv(DATA / "room_chatter.tsv")) if i % 2]
    acted = []
    for text in chatter:
        m = app.matcher.match(text)
        if m.intent not in SAFETY_INTENTS and a.decide(m.intent, m.score, text, busy=False).act:
            acted.append((text, m.intent, m.score))
    assert len(acted) <= 6, acted  # measured: 6 of 65 (4 before issue 26's distress phrasings and distress's own bar, 2 before intents/ gained 560 casual phrasings)
    requests = [r for i, r in enumerate(read_tsv(DATA / "room_requests.tsv"))
                if i % 2 and r["intent"] not in CONTROL and r["intent"] != "safety"]
    taken = [r for r in requests if (m := app.matcher.match(r["text"])).intent == r["intent"]
             and a.decide(m.intent, m.score, r["text"], busy=False).act]
    assert len(taken) >= len(requests) - 2, len(taken)  # measured: 11 of 12


def test_a_reply_to_talk_taken_for_a_request_and_talked_over_is_stopped_and_opens_no_follow_up():
    """Room bench: "he never actually listen to me" out of the blue read step two aloud for a
    minute; the couple talked over it, and every miss after it drew "Sorry, I didn't catch that"."""
    a, clock = addressing()
    clock.now += 60
    verdict = a.decide("communicate", 90.0, "he never actually listens to me", busy=False)
    assert verdict.act and verdict.why == "addressed"
    a.acted(verdict)
    a.spoke()
    assert not a.heard_over()  # once: someone said a word over it
    assert a.heard_over()  # twice: the couple are talking over it; the loop stops it
    assert not a.heard_over()  # already stopped
    clock.now += 3
    assert not a.decide(None, 30.0, "you always do this", busy=False).act
    assert not a.decide("communicate", 71.0, "you never listen", busy=False).act


def test_a_reply_asked_for_and_not_talked_over_keeps_its_follow_up():
    a, clock = addressing()
    clock.now += 60
    a.acted(a.decide("take_break", 90.0, "i need a break", busy=False))
    a.spoke()
    clock.now += 3
    assert a.decide(None, 30.0, "mumble", busy=False).why == "follow-up"
    a.acted(a.decide("yes", 95.0, "yes", busy=True))  # within the window: a follow-up, asked for
    a.spoke()
    assert not a.heard_over() and not a.heard_over()  # asked for: talking over it does not stop it
    clock.now += 3
    assert a.decide(None, 30.0, "mumble", busy=False).why == "follow-up"
