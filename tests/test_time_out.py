"""The time-out that brings them back: lengths of time as said, the timer on an injected clock
(time runs faster; no test here waits minutes), the dialogue's promises through the real matcher
and content, and `chat` and `assistant timeout` as a user runs them. The one real-time minute,
through the voice loop and virtual devices, is in test_voice.py."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest

from assistant.dialogue.content import strip_pauses
from assistant.dialogue.session import DialogueSettings
from assistant.dialogue.timer import ScaledClock, TimeOutTimer
from assistant.room.calls import Calls
from assistant.understanding.durations import duration_words, minutes_said, remaining_words
from tests.conftest import ROOT, run_cli

NO_AUDIO = {"PULSE_SERVER": "unix:/nonexistent/pulse"}  # printed, not spoken


# -- lengths of time ---------------------------------------------------------------------------
@pytest.mark.parametrize("said, minutes", [
    ("a quarter of an hour", 15), ("half an hour", 30), ("an hour", 60), ("twenty five minutes", 25),
    ("give us twenty minutes apart", 20), ("an hour and a half", 90), ("one hour twenty minutes", 80),
    ("time out thirty", 30), ("a couple of minutes", 2), ("minus five minutes", -5), ("three hundred minutes", 300),
    ("a year", 525600), ("thirty seconds", 0.5), ("twenty minutes no thirty minutes", 30),
    ("call a time out", None), ("lets cool off separately for a bit", None)])
def test_lengths_of_time_are_read_as_said(said, minutes):
    assert minutes_said(said) == minutes


def test_lengths_of_time_are_said_back_for_the_ear():
    assert [duration_words(m) for m in (1, 20, 30, 60, 75, 90, 120)] == [
        "one minute", "twenty minutes", "half an hour", "an hour", "an hour and fifteen minutes",
        "an hour and a half", "two hours"]
    assert [remaining_words(s) for s in (20, 70, 725)] == ["less than a minute", "about a minute",
                                                          "about twelve minutes"]


# -- the timer ---------------------------------------------------------------------------------
def watch(timer: TimeOutTimer) -> tuple[list, threading.Event]:
    calls, due = [], threading.Event()

    def notify(call):
        calls.append(call)
        if call.kind == "due":
            due.set()

    timer.notify = notify
    return calls, due


def test_a_time_out_calls_back_when_due_and_not_before():
    clock = ScaledClock(600)  # a minute in a tenth of a second
    timer = TimeOutTimer(clock)
    calls, due = watch(timer)
    started = timer.start(1)
    assert 55 < timer.remaining() <= 60
    assert due.wait(5)
    call = calls[-1]
    assert [c.kind for c in calls] == ["started", "due"]
    assert call.scheduled == started.due and 0 <= call.fired - call.scheduled < 0.05 * clock.speed
    assert timer.running is None and timer.remaining() is None and timer.ended == started
    timer.close()


def test_one_time_out_at_a_time_starting_again_replaces_it_and_cancelling_ends_it_silently():
    timer = TimeOutTimer(ScaledClock(600))
    calls, due = watch(timer)
    first = timer.start(1)
    second = timer.start(2)
    assert timer.running == second != first
    assert due.wait(5) and [c.time_out for c in calls if c.kind == "due"] == [second]
    timer.start(1)
    assert timer.cancel() is not None and timer.running is None
    time.sleep(0.3)  # past when it was due
    assert [c.kind for c in calls].count("due") == 1
    timer.close()


def test_the_halfway_reminder_comes_first_when_asked_for():
    timer = TimeOutTimer(ScaledClock(600), reminder=True)
    calls, due = watch(timer)
    started = timer.start(2)
    assert due.wait(5)
    assert [c.kind for c in calls] == ["started", "halfway", "due"]
    assert calls[1].scheduled == pytest.approx(started.started + 60)
    timer.close()


@pytest.mark.parametrize("minutes", [0, -5, 121, 300, 1.5])
def test_only_one_to_one_hundred_and_twenty_whole_minutes_can_run(minutes):
    with pytest.raises(ValueError):
        TimeOutTimer().start(minutes)


# -- understanding -----------------------------------------------------------------------------
@pytest.mark.parametrize("said, intent, slots", [
    ("call a time out", "time_out", {}), ("lets take twenty minutes apart", "time_out", {"minutes": 20}),
    ("give us a quarter of an hour", "time_out", {"minutes": 15}),
    ("can we have half an hour apart please", "time_out", {"minutes": 30}),
    ("let's take an hour apart", "time_out", {"minutes": 60}),
    ("time out for twenty five minutes", "time_out", {"minutes": 25}),
    ("lets cool off separately for a bit", "time_out", {}),
    ("a time out for three hundred minutes", "time_out", {"minutes": 300}),
    ("time out for a year", "time_out", {"minutes": 525600}),
    ("how long is left", "timer_status", {}), ("how much longer", "timer_status", {}),
    ("is it time yet", "timer_status", {}), ("is our time up", "timer_status", {}),
    ("i need a break", "take_break", {}), ("i need a breathing break", "take_break", {}),
    ("cancel the time out", "stop", {"timer": "time_out"}), ("stop", "stop", {})])
def test_time_out_words_are_understood_and_a_break_stays_a_break(app, said, intent, slots):
    m = app.matcher.match(said)
    assert (m.intent, dict(m.slots)) == (intent, slots), m


# -- the dialogue ------------------------------------------------------------------------------
def session(app, speed: float = 60, reminder: bool = False):
    dialogue = app.dialogue(DialogueSettings(timeout_reminder=reminder), ScaledClock(speed))
    said = []
    calls = Calls(dialogue, lambda reply: said.append(strip_pauses(reply.text)))
    dialogue.timer.notify = calls.call

    def say(text: str) -> str:
        with calls.lock:
            m, reply = dialogue.turn(text)
        return strip_pauses(reply.text)

    return dialogue, say, said


def wait_for(said: list, n: int, timeout: float = 5) -> list:
    deadline = time.monotonic() + timeout
    while len(said) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return said


def test_the_coach_agrees_in_two_short_sentences_starts_the_time_and_goes_quiet(app):
    dialogue, say, said = session(app)
    reply = say("lets take twenty minutes apart")
    assert len(re.findall(r"[.?!]", reply)) == 2 and "Twenty minutes" in reply and "argument" in reply
    assert dialogue.timer.running.minutes == 20 and dialogue.session.question is None
    say("call a time out")  # without a number: twenty minutes
    say("no")
    assert dialogue.timer.running.minutes == 20
    dialogue.timer.close()


def test_how_long_is_left_counts_down(app):
    dialogue, say, said = session(app, speed=120)
    say("give us ten minutes apart")
    first = say("how long is left")
    time.sleep(2.6)  # five minutes and a bit
    second = say("how much longer")
    assert first.startswith("About ten minutes") and second.startswith("About five minutes"), (first, second)
    dialogue.timer.close()


def test_a_second_time_out_says_what_runs_and_offers_to_start_it_again(app):
    dialogue, say, said = session(app)
    say("give us half an hour")
    offer = say("lets take twenty minutes apart")
    assert "already running" in offer and "half an hour left" in offer and "twenty minutes?" in offer
    assert "carries on" in say("no") and dialogue.timer.running.minutes == 30
    say("lets take twenty minutes apart")
    say("yes")
    assert dialogue.timer.running.minutes == 20
    dialogue.timer.close()


def test_cancelling_the_time_out_needs_a_yes_and_other_stops_still_just_stop(app):
    dialogue, say, said = session(app)
    say("give us half an hour")
    assert "end the time-out" in say("stop")
    say("no")
    say("explain step three")
    assert say("stop") == strip_pauses(app.content.responses["stop"][0])  # about step three, not the time-out
    assert dialogue.timer.running is not None
    assert "end the time-out" in say("cancel the time out")
    assert "time-out is over" in say("yes") and dialogue.timer.running is None
    assert "no time-out running" in say("how long is left")


@pytest.mark.parametrize("said", ["a time out for minus five minutes", "a time out for three hundred minutes",
                                  "time out for a year"])
def test_an_impossible_length_gets_a_kind_answer_with_the_range(app, said):
    dialogue, say, _ = session(app)
    reply = say(said)
    assert "one minute" in reply and "two hours" in reply and dialogue.timer.running is None


def test_danger_during_a_time_out_is_answered_at_once_and_nobody_is_called_back(app):
    dialogue, say, said = session(app, speed=600)
    say("give us one minute apart")
    assert "911" in say("he hit me")
    assert dialogue.timer.running is None
    say("give us one minute apart")  # asked for again: it runs, and the call puts safety first
    assert "feel safe" in wait_for(said, 1)[0]
    assert dialogue.session.walk is None


def test_when_time_is_up_a_return_prompt_opens_a_restart_read_part_by_part(app):
    dialogue, say, said = session(app, speed=600)
    restart = [strip_pauses(p) for p in app.content.restart.parts]
    say("give us one minute apart")
    prompt = wait_for(said, 1)[0]  # unprompted: nothing was said to it
    assert prompt.startswith("It's time") and restart[0] in prompt and "Say next" in prompt
    assert restart[1] in say("next")
    assert restart[1] in say("repeat")
    assert restart[0] in say("go back")
    say("next")
    last = say("next")
    assert restart[2] in last and "step three" in last
    assert say("yes").startswith("Step three.")


def test_the_halfway_reminder_is_said_when_asked_for(app):
    dialogue, say, said = session(app, speed=600, reminder=True)
    say("give us two minutes apart")
    assert wait_for(said, 2)[0].startswith("Halfway there") and said[1].startswith("It's time")


def test_after_a_breathing_break_the_coach_offers_to_time_the_time_out(app):
    dialogue, say, said = session(app)
    say("i need a break")
    assert "time twenty minutes" in say("yes")
    say("yes")
    assert dialogue.timer.running.minutes == 20
    assert "won't call you back" in say("goodbye") and dialogue.timer.running is None


# -- as a user runs it -------------------------------------------------------------------------
def test_chat_counts_down_and_calls_them_back_without_waiting_for_a_line():
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "chat", "--clock-speed", "60"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(__import__("os").environ, PYTHONUNBUFFERED="1"))
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(target=lambda: [lines.append((time.monotonic(), raw.decode().strip()))
                                              for raw in proc.stdout], daemon=True)
    reader.start()

    def send(text: str, wait_lines: int) -> str:
        proc.stdin.write(text.encode() + b"\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while len(lines) < wait_lines and time.monotonic() < deadline:
            time.sleep(0.01)
        return lines[wait_lines - 1][1]

    try:
        while not lines:
            time.sleep(0.05)  # the greeting: ready
        send("give us three minutes apart", 2)
        started = time.monotonic()
        left = [send("how long is left", 3)]
        time.sleep(1.2)
        left.append(send("how much longer", 4))
        while len(lines) < 5 and time.monotonic() < started + 10:
            time.sleep(0.01)  # no line is sent: the return prompt comes by itself
        at, prompt = lines[4]
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)
    assert left[0].startswith("About three minutes") and left[1].startswith("About two minutes"), left
    assert prompt.startswith("It's time to come back together")
    assert 2.5 < at - started < 3.6  # three clock minutes at 60 times real time, plus reading the line
    assert proc.returncode == 0


def test_timeout_command_needs_one_to_one_hundred_and_twenty_minutes():
    result = run_cli("timeout", "--minutes", "0")
    err = result.stderr.decode().strip().splitlines()
    assert result.returncode == 2 and err == ["assistant: error: --minutes must be a whole number from 1 to 120, "
                                              "got '0'"]


def test_timeout_command_agrees_waits_and_walks_them_through_the_restart(tmp_path):
    (tmp_path / "assistant").mkdir()
    (tmp_path / "assistant" / "config.yaml").write_text("timeout-reminder: true\n")
    started = time.monotonic()
    result = run_cli("timeout", "--minutes", "2", "--clock-speed", "60",
                     env=dict(NO_AUDIO, XDG_CONFIG_HOME=str(tmp_path)))
    out = result.stdout.decode().splitlines()
    assert result.returncode == 0, result.stderr
    assert out[0].startswith("Two minutes apart") and out[1].startswith("Halfway there")
    assert out[2].startswith("It's time") and "what you need" in out[2] and "step three" in out[2]
    assert time.monotonic() - started > 2.0
