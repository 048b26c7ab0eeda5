"""`assistant serve`: Home Assistant's voice satellites through Wyoming, driven as Home Assistant drives it.

Every client here is the `wyoming` package's own (`AsyncTcpClient`), doing what Home Assistant's
Wyoming integration does: Describe -> Info within a second, a new connection per turn carrying a
Transcript with HA's context (conversation_id, device_id, satellite_id), and Synthesize (or the
streaming SynthesizeStart/Chunk/Stop) for the voice. The voice is the real bundled Piper voice."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest
from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient, AsyncUnixClient
from wyoming.event import Event, read_event, write_event
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from assistant.dialogue.session import DialogueSettings
from assistant.dialogue.timer import ScaledClock
from assistant.errors import InputError
from assistant.satellites.callback import CallBack, CallBackError, check_url, post
from assistant.satellites.server import Coach
from assistant.satellites.sessions import Sessions
from assistant.satellites.settings import ServeSettings
from assistant.satellites.tts import TextParts, Voices
from assistant.understanding.normalize import number_words
from tests.conftest import ROOT

DANGER = "he is going to kill me"
CONTEXT_KEYS = ("conversation_id", "device_id", "satellite_id")


@pytest.fixture(scope="module")
def voices():
    v = Voices()
    v.renderer()  # the bundled Piper voice, loaded once for the module
    yield v
    v.close()


@contextlib.contextmanager
def serving(app, voices, *, clock=None, deliver=None, uri="tcp://127.0.0.1:0", **settings):
    """An in-process server on its own thread and event loop, as `assistant serve` runs it."""
    coach = Coach(ServeSettings(uri=uri, **settings), lambda: app.dialogue(DialogueSettings(), clock), voices, deliver)
    ready = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(coach.serve(lambda _: ready.set())), daemon=True)
    thread.start()
    assert ready.wait(10), "the server did not start"
    try:
        yield coach
    finally:
        coach.stop()
        thread.join(10)
        coach.close()


def ha_context(satellite: str | None = None, device: str | None = None) -> dict:
    """What Home Assistant sends: a conversation id (new for each satellite run), its device and satellite."""
    context = {"conversation_id": uuid.uuid4().hex}
    if device:
        context["device_id"] = device
    if satellite:
        context["satellite_id"] = satellite
    return context


async def turn(port: int, text: str, satellite: str | None = "assist_satellite.kitchen", device: str | None = None):
    """One turn as Home Assistant takes it: a new connection, a Transcript, the answer event."""
    context = ha_context(satellite, device or (satellite and f"device-{satellite}"))
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcript(text, context=context, language="en").event())
        event = await asyncio.wait_for(client.read_event(), 15)
    assert event is not None and event.data.get("context") == context, "the context comes back as it went"
    return event


def said(app, text: str) -> str:
    """What a fresh session answers `text` (the same dialogue as the voice loop)."""
    return app.dialogue().turn(text)[1].text


def step_of(app, text: str) -> int | None:
    return next((s.number for s in app.content.steps if text.startswith(s.parts[0])), None)


def port_of(coach) -> int:
    return coach.address.port


def test_describe_is_answered_with_info_within_a_second_even_while_busy(app, voices):
    long_text = " ".join(f"This is sentence number {number_words(n)} of a long reply." for n in range(1, 30))

    async def main(port):
        async with AsyncTcpClient("127.0.0.1", port) as talker:
            await talker.write_event(Synthesize(long_text).event())  # the voice is busy rendering
            turns = [asyncio.create_task(turn(port, "i need a break", f"sat-{i}")) for i in range(20)]
            await asyncio.sleep(0.05)
            began = time.perf_counter()
            async with AsyncTcpClient("127.0.0.1", port) as client:
                await client.write_event(Describe().event())
                event = await asyncio.wait_for(client.read_event(), 1.0)
            seconds = time.perf_counter() - began
            await asyncio.gather(*turns)
        return Info.from_event(event), seconds

    with serving(app, voices) as coach:
        info, seconds = asyncio.run(main(port_of(coach)))
    assert seconds < 1.0
    (handle,), (speech,) = info.handle, info.tts
    assert handle.installed and handle.models[0].languages == ["en"] and not handle.supports_home_control
    assert speech.installed and speech.supports_synthesize_streaming
    assert "en_US-joe-medium" in [v.name for v in speech.voices] and speech.voices[0].languages == ["en_US"]


def test_each_turn_on_a_new_connection_is_handled_with_homeassistants_context_echoed(app, voices):
    with serving(app, voices) as coach:
        event = asyncio.run(turn(port_of(coach), "explain step three"))
        miss = asyncio.run(turn(port_of(coach), "purple elephants on the roof"))
    assert event.type == "handled" and step_of(app, event.data["text"]) == 3
    assert "[pause" in event.data["text"]  # the pauses travel to the voice, which says them as silence
    assert miss.type == "not-handled" and miss.data["text"] in app.content.responses["reprompt"]


def test_two_satellites_walk_the_steps_each_in_its_own_place(app, voices):
    async def main(port):
        kitchen, bedroom = "assist_satellite.kitchen", "assist_satellite.bedroom"
        first = await asyncio.gather(turn(port, "explain step three", kitchen), turn(port, "explain step nine", bedroom))
        second = await asyncio.gather(turn(port, "next", kitchen), turn(port, "next", bedroom))
        third = await asyncio.gather(turn(port, "next", kitchen), turn(port, "go back", bedroom))
        return [[step_of(app, e.data["text"]) for e in pair] for pair in (first, second, third)]

    with serving(app, voices) as coach:
        assert asyncio.run(main(port_of(coach))) == [[3, 9], [4, 10], [5, 9]]


def test_a_device_without_a_satellite_and_a_typed_conversation_keep_their_place_too(app, voices):
    async def main(port):
        await turn(port, "explain step five", satellite=None, device="dev-1")
        by_device = await turn(port, "next", satellite=None, device="dev-1")
        typed = {"conversation_id": "typed-in-the-browser"}  # Assist typed in the browser: no device
        for text in ("explain step two", "next"):
            async with AsyncTcpClient("127.0.0.1", port) as client:
                await client.write_event(Transcript(text, context=typed).event())
                by_conversation = await client.read_event()
        return step_of(app, by_device.data["text"]), step_of(app, by_conversation.data["text"])

    with serving(app, voices) as coach:
        assert asyncio.run(main(port_of(coach))) == (6, 3)


def test_danger_gets_the_safety_answer_handled_whatever_was_pending(app, voices):
    async def main(port):
        plain = await turn(port, DANGER, "sat-a")
        await turn(port, "explain step three", "sat-b")  # a yes/no question is pending: "step four?"
        after_question = await turn(port, DANGER, "sat-b")
        await turn(port, "purple elephants", "sat-c")
        after_miss = await turn(port, DANGER, "sat-c")
        return plain, after_question, after_miss

    with serving(app, voices) as coach:
        answers = asyncio.run(main(port_of(coach)))
    for event in answers:
        assert event.type == "handled" and event.data["text"] == said(app, DANGER)


def pcm_of(events: list[Event]) -> tuple[np.ndarray, int]:
    chunks = [e for e in events if e.type == "audio-chunk"]
    rate = chunks[0].data["rate"]
    assert all((c.data["rate"], c.data["width"], c.data["channels"]) == (rate, 2, 1) for c in chunks)
    return np.frombuffer(b"".join(c.payload for c in chunks), dtype="<i2"), rate


def silences(samples: np.ndarray, rate: int, at_least: float = 0.5) -> list[float]:
    """Seconds of each run of exact digital zeros at least `at_least` long, in order."""
    zero = np.concatenate([[0], (samples == 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(zero))
    runs = (edges[1::2] - edges[::2]) / rate
    return [round(float(r), 3) for r in runs if r >= at_least]


async def synthesize(port: int, *events: Event, until: str = "audio-stop") -> tuple[list[Event], float, float]:
    """Send `events` on one connection; (events received, seconds to the first audio chunk, to the end)."""
    began = time.perf_counter()
    first = None
    got = []
    async with AsyncTcpClient("127.0.0.1", port) as client:
        for event in events:
            await client.write_event(event)
        while True:
            event = await asyncio.wait_for(client.read_event(), 30)
            assert event is not None, f"the connection closed after {[e.type for e in got]}"
            got.append(event)
            if event.type == "audio-chunk" and first is None:
                first = time.perf_counter() - began
            if event.type == until:
                return got, first, time.perf_counter() - began


def test_the_voice_streams_sentence_by_sentence_in_one_pcm_format(app, voices):
    text = "Let's slow down together. Breathe in through your nose. Now let it go, slowly. You're doing fine."
    with serving(app, voices) as coach:
        events, first, total = asyncio.run(synthesize(port_of(coach), Synthesize(text).event()))
    start, *chunks, stop = events
    assert start.type == "audio-start" and stop.type == "audio-stop"
    assert (start.data["rate"], start.data["width"], start.data["channels"]) == (22050, 2, 1)
    assert {e.type for e in chunks} == {"audio-chunk"} and all(len(e.payload) <= 2048 for e in chunks)
    samples, rate = pcm_of(events)
    assert 4.0 < len(samples) / rate < 12.0 and np.abs(samples).max() > 3000  # it speaks, loud enough
    assert first < total / 2  # the first sentence is out before the rest is rendered


def test_a_pause_mark_is_that_many_seconds_of_digital_silence(app, voices):
    with serving(app, voices) as coach:
        events, _, _ = asyncio.run(synthesize(port_of(coach), Synthesize("Breathe in. [pause 2] And out.").event()))
    samples, rate = pcm_of(events)
    (quiet,) = silences(samples, rate)
    assert 2.0 <= quiet < 2.15, quiet  # the mark's 2 s of zeros, and only a few quiet samples of the voice either side


def test_text_streamed_in_pieces_cut_anywhere_is_spoken_with_its_pauses(app, voices):
    pieces = ["Take a slow breath with me. [pau", "se 2] Now let it go", " slowly. [pause 1]", " Good."]

    async def main(port):
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk(pieces[0]).event())
            early = await asyncio.wait_for(client.read_event(), 10)  # audio before the text has all come
            events = [early]
            for piece in pieces[1:]:
                await client.write_event(SynthesizeChunk(piece).event())
            await client.write_event(Synthesize("".join(pieces)).event())  # Home Assistant repeats it whole
            await client.write_event(SynthesizeStop().event())
            while events[-1].type != "synthesize-stopped":
                events.append(await asyncio.wait_for(client.read_event(), 30))
        return events

    with serving(app, voices) as coach:
        events = asyncio.run(main(port_of(coach)))
    types = [e.type for e in events]
    assert types[0] == "audio-start" and types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert types.count("audio-start") == 1 and set(types[1:-2]) == {"audio-chunk"}
    samples, rate = pcm_of(events)
    two, one = silences(samples, rate)
    assert 2.0 <= two < 2.15 and 1.0 <= one < 1.15  # said once (the repeated whole text is not said again)


def test_fifty_satellites_take_a_thousand_turns_each_keeping_its_place(app, voices):
    turns_each = 20

    async def satellite(port, i):
        start = 1 + i % 13
        name = f"assist_satellite.room_{i}"
        got = [step_of(app, (await turn(port, f"explain step {number_words(start)}", name)).data["text"])]
        for _ in range(turns_each - 1):
            event = await turn(port, "next", name)
            assert event.type == "handled"
            got.append(step_of(app, event.data["text"]))
        want = [start + j if start + j <= 13 else None for j in range(turns_each)]
        return got == want

    async def main(port):
        return await asyncio.gather(*(satellite(port, i) for i in range(50)))

    with serving(app, voices) as coach:
        began = time.perf_counter()
        kept = asyncio.run(main(port_of(coach)))
        seconds = time.perf_counter() - began
        assert len(coach.sessions) == 50
    assert all(kept)
    assert seconds < 40, f"1,000 turns took {seconds:.1f} s"
