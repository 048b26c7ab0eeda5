"""Left on all evening (issue 25): what goes wrong in a long session is survived without losing a
line, a setting or the user's patience. Real files, pipes and threads; a fake only injects the
fault (a disk that fills mid-line, an output device that is gone, a microphone that is unplugged).
The whole evening in the room rig, with these faults and more, is the bench's room soak
(scripts/bench/room_soak.py)."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import threading
import time

import pytest

from assistant.errors import AudioUnavailable
from assistant.room import events as events_module
from assistant.room.events import Events
from assistant.room.microphone import MicrophoneWatch
from assistant.room.output import SpeakerWatch


class FillingDisk:
    """Fault injection: os.write that, while `full`, takes a few bytes of a write and then fails as a
    full disk does (ENOSPC)."""

    def __init__(self) -> None:
        self.full = False
        self.real = os.write

    def __call__(self, fd: int, data) -> int:
        if self.full:
            if len(data) > 5:
                return self.real(fd, bytes(data[:5]))  # part of the line reaches the file...
            raise OSError(errno.ENOSPC, "No space left on device")  # ...and then the disk is full
        return self.real(fd, data)


def test_a_full_disk_never_leaves_half_an_events_line_and_the_log_writes_on_when_there_is_room(
        tmp_path, monkeypatch, caplog):
    disk = FillingDisk()
    monkeypatch.setattr(events_module.os, "write", disk)
    path = tmp_path / "events.jsonl"
    events = Events.open(path)
    events.retry = 0.2  # seconds between tries (a minute in a session)
    events.write(turn=1, intent="take_break")
    disk.full = True
    for turn in range(2, 6):
        events.write(turn=turn, intent="explain_step")
    time.sleep(0.25)
    events.write(turn=6, intent="next")  # tried again: still full
    disk.full = False
    time.sleep(0.25)
    events.write(turn=7, intent="stop")  # room again
    events.write(turn=8, intent="goodbye")
    events.close()
    text = path.read_text()
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]  # every line whole JSON
    assert [e.get("turn") for e in lines] == [1, None, 7, 8]
    assert lines[1]["event"] == "log resumed" and lines[1]["lost"] == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings  # one when it could not write, one when it writes again
    assert "could not write" in warnings[0] and "writing again" in warnings[1]


class GoneThenBack:
    """Fault injection: an output device that is gone for the first `gone` opens, then plays."""

    def __init__(self, gone: int) -> None:
        self.gone = gone
        self.opens = 0
        self.closed = 0

    def open(self, rate: int) -> None:
        self.opens += 1
        if self.opens <= self.gone:
            raise AudioUnavailable("cannot open the output device (Device unavailable)")

    def close(self) -> None:
        self.closed += 1


class PlayingSpeaker:
    first_audio_s = 0.05

    def __init__(self, player) -> None:
        self.player = player
        self.spoken: list[str] = []

    def speak_reply(self, reply, rate, tones) -> None:
        self.spoken.append(reply)


def test_a_lost_speaker_prints_replies_is_tried_again_now_and_then_and_speaks_when_it_returns(caplog):
    log = io.StringIO()
    watch = SpeakerWatch(Events(log), retry=0.2)
    speaker = PlayingSpeaker(GoneThenBack(gone=2))
    now, first = watch.speak(speaker, "one", 1.0, False)
    assert now is None and first is None  # printed
    assert watch.speak(None, "two", 1.0, False) == (None, None)  # too soon to try the device again
    assert speaker.player.opens == 1
    time.sleep(0.25)
    assert watch.speak(None, "three", 1.0, False) == (None, None)  # tried: still gone
    time.sleep(0.25)
    now, first = watch.speak(None, "four", 1.0, False)
    assert now is speaker and first == 0.05 and speaker.spoken == ["four"]
    assert speaker.player.opens == 3
    assert [json.loads(line)["event"] for line in log.getvalue().splitlines()] == ["speaker lost", "speaker back"]
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 2  # lost once, back once: no flood


class Unplugged:
    """Fault injection: a microphone that cannot be opened until `back` is set."""

    def __init__(self) -> None:
        self.back = threading.Event()
        self.opens = 0

    def open(self) -> None:
        self.opens += 1
        if not self.back.is_set():
            raise AudioUnavailable("no microphone (unplugged?)")

    def close(self) -> None: ...


@pytest.fixture
def pipe():
    read, write = os.pipe()
    yield read, write
    for fd in (read, write):
        try:
            os.close(fd)
        except OSError:
            pass


def test_lines_typed_while_the_microphone_is_lost_are_answered_and_it_is_one_warning_however_long(pipe, caplog):
    read, write = pipe
    mic, typed, stopping = Unplugged(), [], threading.Event()
    log = io.StringIO()
    watch = MicrophoneWatch(mic, Events(log), stopping, retry=0.02, typed=typed.append,
                            stdin=io.FileIO(read, closefd=False))
    waiting = threading.Thread(target=watch.reconnect, args=(AudioUnavailable("the microphone stopped"),))
    waiting.start()
    os.write(write, b"i need a break\nexplain")
    time.sleep(0.3)
    os.write(write, b" step three\n")
    deadline = time.monotonic() + 5
    while len(typed) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    mic.back.set()
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    assert typed == ["i need a break", "explain step three"]
    assert mic.opens >= 10  # tried again and again...
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "trying again" in warnings[0] and "back" in warnings[1]  # ...said once
    assert [json.loads(line)["event"] for line in log.getvalue().splitlines()] == ["microphone lost", "microphone back"]


def test_a_microphone_lost_when_the_loop_stops_lets_it_stop(pipe):
    read, write = pipe
    os.close(write)  # standard input at its end, as a service's /dev/null
    stopping = threading.Event()
    watch = MicrophoneWatch(Unplugged(), Events(None), stopping, retry=0.05, typed=lambda text: None,
                            stdin=io.FileIO(read, closefd=False))
    waiting = threading.Thread(target=watch.reconnect, args=(AudioUnavailable("gone"),))
    waiting.start()
    time.sleep(0.2)
    stopping.set()
    waiting.join(timeout=2)
    assert not waiting.is_alive()


def test_the_echo_report_says_how_the_two_clocks_stand():
    """Every 10 minutes the events say how far ahead of now the newest played audio is stamped and how
    often each sample clock re-anchored: an evening whose canceller lost its own voice can be read back."""
    import numpy as np

    from assistant.hearing.capture import Microphone
    from assistant.hearing.echo import EchoFilter, make_canceller
    from assistant.hearing.reference import Reference
    from assistant.room.output import EchoReport

    reference, mic = Reference(), Microphone()  # not opened: a block handed over as the callback would
    now = time.perf_counter()
    reference.played(np.full(1024, 0.1, np.float32), 22050, now + 0.2)
    log = io.StringIO()
    report = EchoReport(EchoFilter(make_canceller("speex"), reference), Events(log), every=0.0, mic=mic)
    report.poll()
    event = json.loads(log.getvalue().splitlines()[-1])
    assert event["event"] == "echo"
    assert event["clocks"]["speaker_jumps"] == 0 and event["clocks"]["microphone_jumps"] == 0
    assert 0.1 < event["clocks"]["newest_played_s"] <= 0.2
