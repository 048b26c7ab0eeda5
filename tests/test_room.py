"""The assistant in a room: its speaker comes back into its microphone (a PulseAudio loopback,
-6 dB, 40 ms, with room noise: tests/pulse.py's Room) while the test's voice talks into the
same microphone. Default flags throughout: echo cancellation, barge-in, no wake word."""

from __future__ import annotations

import time

import pytest

from tests.audio_tools import sounding_seconds
from tests.conftest import DATA, read_tsv
from tests.pulse import Recorder, Room, serving
from tests.test_voice import PERSON, Assistant, command, speak_into_mic, understood


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("room"), sinks=("mic", "spk")) as server:
        echo = Room(server)
        try:
            yield server
        finally:
            echo.close()


def acted(bot) -> list[dict]:
    return bot.wait_turns(0, timeout=0)


def test_stop_said_over_a_breathing_break_in_the_room_silences_it(room, tmp_path):
    bot = Assistant(room, tmp_path)
    try:
        turns = command(bot, "i need a break", "take_break", tmp_path)
        assert turns and turns[-1]["intent"] == "take_break", bot.turns()
        time.sleep(6)  # the break is under way: its cues sound, and come back into the microphone
        with Recorder() as rec:
            for voice in PERSON:
                before = len(acted(bot))
                speak_into_mic("stop", tmp_path, voice)
                said = time.perf_counter()
                turns = bot.wait_turns(before + 1, timeout=4)
                if turns[-1]["intent"] == "stop":
                    break
            time.sleep(7)
        assert turns[-1]["intent"] == "stop", bot.turns()
        # only "stop" acted on: its own breathing cues through the echo path never did anything
        assert [t["intent"] for t in turns] == ["take_break", "stop"], bot.turns()
        last = rec.last_sound_at()
        # after stop, only its short acknowledgement ("Okay, we'll leave it there. Even a few slow
        # breaths help.": 4 s); the break had most of a minute to go. BENCHMARKS.md has how soon
        # the breathing itself falls silent.
        assert last is not None and last - said < 8.0, last - said
    finally:
        bot.close()


def test_stop_said_over_a_step_being_read_in_the_room_silences_it(room, tmp_path):
    """Over continuous speech, not in a breathing break's pauses: the canceller suppresses the start
    of a word said over its voice, so the recogniser hears the linear canceller's output (echo.py),
    and the endpointer keeps 0.6 s from before the start it found. BENCHMARKS.md has how often
    one "stop" is enough (the bench says it 24 times); here, within two."""
    bot = Assistant(room, tmp_path)
    try:
        command(bot, "tell me about step three", "explain_step", tmp_path)
        time.sleep(4)  # step three is being read
        for voice in PERSON[:2]:
            before = len(acted(bot))
            speak_into_mic("stop", tmp_path, voice)
            said = time.time()
            turns = bot.wait_turns(before + 1, timeout=4)
            if turns[before:] and turns[-1]["intent"] == "stop":
                break
        assert turns[-1]["intent"] == "stop", bot.turns()
        assert turns[-1]["silenced_at"] - said < 1.0, turns[-1]  # the bench measures it: see BENCHMARKS.md
    finally:
        bot.close()


def test_its_own_long_reply_through_the_echo_never_barges_in(room, tmp_path):
    bot = Assistant(room, tmp_path)
    try:
        command(bot, "tell me about step three", "explain_step", tmp_path)
        with Recorder() as rec:
            time.sleep(25)
            still = rec.last_sound_at()
        # a request misheard first gets a reprompt or the safety question (test_voice.NOT_UNDERSTOOD)
        assert [t["intent"] for t in understood(acted(bot))] == ["explain_step"], bot.turns()
        asked = [i for i, t in enumerate(acted(bot)) if t["intent"] == "explain_step"][0]
        assert len(acted(bot)) == asked + 1, bot.turns()  # nothing acted on after it: not its own voice
        assert still is not None and time.perf_counter() - still < 2.0  # still reading, never cut off
    finally:
        bot.close()


def test_danger_said_over_a_step_being_read_in_the_room_is_answered(room, tmp_path):
    """Its own voice comes back at -6 dB; a person saying "he just hit me" over it is heard and
    answered (what the canceller keeps of a person is far more than the residue of its own voice)."""
    bot = Assistant(room, tmp_path)
    try:
        command(bot, "tell me about step three", "explain_step", tmp_path)
        time.sleep(3)  # step three is being read: a minute of it
        before = len(acted(bot))
        for voice in PERSON:
            speak_into_mic("he just hit me", tmp_path, voice)
            turns = bot.wait_turns(before + 1, timeout=5)[before:]
            if turns:
                break
        assert [t["intent"] for t in turns] == ["safety"], bot.turns()
    finally:
        bot.close()


def test_a_couple_talking_to_each_other_is_not_answered_but_danger_is(room, tmp_path):
    rows = read_tsv(DATA / "room_chatter.tsv")
    chatter = [r["text"] for i, r in enumerate(rows) if i % 2 and r["kind"] in ("argument", "near_miss")]
    bot = Assistant(room, tmp_path)
    try:
        time.sleep(8.5)  # the follow-up window after its greeting has passed
        with Recorder() as rec:
            rec.blocks.clear()
            for i, line in enumerate(chatter[:6]):
                speak_into_mic(line, tmp_path, PERSON[i % len(PERSON)])
                time.sleep(1.5)
            time.sleep(2)
            quiet = sounding_seconds(rec.audio())
        heard = bot.turns()
        # no reprompt, no action: it was not spoken to. The safety net's false alarms on arguments
        # are another matter (measured in BENCHMARKS.md, room section): never coaching, at worst
        # it asks whether they are safe
        assert not [t for t in acted(bot) if t["intent"] not in ("safety", "safety_check")], heard
        assert quiet == 0.0 or acted(bot)
        # it did hear them (logged as ignored); lines 1.5 s apart may be one utterance, as the end of
        # turn waits 1.6 s for what is not a clear request
        assert sum(len(e.get("transcript", "").split()) for e in heard) >= 15, heard
        # whatever it says to a false alarm (the safety answer, a minute of it) may still be
        # going: danger is heard over its voice (barge-in), so 20 s is enough to wait
        Assistant.wait_quiet(timeout=20)
        turns = command(bot, "he just hit me and i am scared", "safety", tmp_path)
        assert turns and turns[-1]["intent"] == "safety", bot.turns()
    finally:
        bot.close()


def test_a_reply_nobody_asked_for_that_the_couple_talk_over_stops_without_a_word(room, tmp_path):
    """A request taken out of the blue (more than 8 s after it last spoke) that the couple then
    talk over was not for it: after the second line said over it, it falls silent, says nothing,
    and acts on nothing else (room bench: one such reply read a step for a minute under an
    argument, and everything after it cascaded)."""
    bot = Assistant(room, tmp_path)
    try:
        time.sleep(8.5)  # past the follow-up window after its greeting
        turns = command(bot, "tell me about step three", "explain_step", tmp_path)
        assert turns and turns[-1]["intent"] == "explain_step" and turns[-1]["addressed"] == "addressed", bot.turns()
        time.sleep(2)  # step three is being read: a minute of it
        talk = ("did you remember to buy milk", "the car needs a wash this weekend", "what time is your mother coming")
        with Recorder() as rec:
            for i, line in enumerate(talk):
                speak_into_mic(line, tmp_path, PERSON[i % len(PERSON)])
                time.sleep(1.0)
                if any(e.get("event") == "talked over" for e in bot.turns()):
                    break
            time.sleep(4)  # it falls silent within a second or so of the line that made it unwanted...
            last = rec.last_sound_at()
        assert any(e.get("event") == "talked over" for e in bot.turns()), bot.turns()
        assert [t["intent"] for t in acted(bot)][-1:] == ["explain_step"], bot.turns()  # nothing said since
        assert last is not None and time.perf_counter() - last > 2.5, time.perf_counter() - (last or 0)  # ...and stays so
    finally:
        bot.close()


def test_with_a_wake_word_only_what_follows_it_is_acted_on(room, tmp_path):
    bot = Assistant(room, tmp_path, "--wake-word", "hey_jarvis")
    try:
        time.sleep(8.5)  # past the follow-up window after its greeting
        speak_into_mic("i need a break", tmp_path)
        time.sleep(3)
        assert not acted(bot), bot.turns()  # no wake word: not for it
        assert any(e.get("ignored") == "no wake word" for e in bot.turns()), bot.turns()
        turns = command(bot, "hey jarvis, i need a break", "take_break", tmp_path)
        assert turns and turns[-1]["intent"] == "take_break" and turns[-1]["addressed"] == "wake word", bot.turns()
    finally:
        bot.close()


def test_a_wake_word_it_cannot_use_is_one_warning_and_it_listens_without(room, tmp_path):
    bot = Assistant(room, tmp_path, "--wake-word", "hey_siri")
    try:
        warnings = [line for line in bot.err.read_text().splitlines() if "warning" in line]
        assert len(warnings) == 1 and "hey_siri" in warnings[0] and "without a wake word" in warnings[0], warnings
        turns = command(bot, "i need a break", "take_break", tmp_path)
        assert turns and turns[-1]["intent"] == "take_break", bot.turns()
    finally:
        bot.close()
