"""`assistant serve`: Home Assistant's voice satellites through Wyoming, driven as Home Assistant drives it.

Every client here is the `wyoming` package's own (`AsyncTcpClient`), doing what Home Assistant's
Wyoming integration does: Describe -> Info within a second, a new connection per turn carrying a
Transcript with HA's context (conversation_id, device_id, satellite_id), and Synthesize (or the
streaming SynthesizeStart/Chunk/Stop) for the voice. The voice is the real bundled Piper voice."""

from __future__ import annotations

import asyncio
import contextlib
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

from assistant.dialogue.content import strip_pauses
from assistant.dialogue.session import DialogueSettings
from assistant.dialogue.timer import ScaledClock
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
def serving(app, voices, *, clock=None, uri="tcp://127.0.0.1:0", **settings):
    """An in-process server on its own thread and event loop, as `assistant serve` runs it."""
    coach = Coach(ServeSettings(uri=uri, **settings), lambda: app.dialogue(DialogueSettings(), clock), voices)
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


def test_plain_text_answers_without_pause_marks_for_a_pipeline_with_another_voice(app, voices):
    with serving(app, voices, plain_text=True) as coach:
        event = asyncio.run(turn(port_of(coach), "explain step three"))
    assert event.data["text"] == strip_pauses(said(app, "explain step three")) and "[" not in event.data["text"]


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


async def raw(port: int, data: bytes, wait: float = 5.0) -> list[Event | None]:
    """Write raw bytes on a new connection; every event read back until the server closes it (None last),
    or until `wait` seconds pass with the connection still open (then the list does not end in None)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got: list[Event | None] = []
    try:
        while True:
            line = await asyncio.wait_for(reader.readline(), wait)
            if not line:
                got.append(None)
                break
            header = json.loads(line)
            data_bytes = await reader.readexactly(header.get("data_length") or 0)
            got.append(Event(header["type"], {**header.get("data", {}), **(json.loads(data_bytes) if data_bytes else {})}))
    except asyncio.TimeoutError:
        pass
    except ConnectionResetError:
        got.append(None)
    writer.close()
    return got


def line(event: dict) -> bytes:
    return json.dumps(event).encode() + b"\n"


def test_bad_input_ends_only_its_own_connection_and_every_session_carries_on(app, voices):
    big = json.dumps({"text": "i need a break " * 7000, "context": ha_context("x")}).encode()  # a 100 kB transcript
    cases = {
        "not json": (b"this is not an event\n", "bad-event"),
        "no type": (line({"data": {}}), "bad-event"),
        "transcript without text": (line({"type": "transcript", "data": {"context": {}}}), "bad-event"),
        "text not a string": (line({"type": "transcript", "data": {"text": ["he", "hit", "me"]}}), "bad-event"),
        "100 kB transcript": (line({"type": "transcript", "data_length": len(big)}) + big, "too-long"),
        "data said to be 50 MB": (line({"type": "transcript", "data_length": 50_000_000}), "too-long"),
        "data not json": (line({"type": "transcript", "data_length": 5}) + b"\xff\xfe{{{", "bad-event"),
        "chunk outside a stream": (line({"type": "synthesize-chunk", "data": {"text": "hello."}}), "bad-event"),
        "line over 64 kB": (b"{" + b" " * 70_000 + b"}\n", "too-long"),
    }

    async def main(port):
        await turn(port, "explain step three", "assist_satellite.hall")
        results = {name: await raw(port, data) for name, (data, _) in cases.items()}
        unknown = await raw(port, line({"type": "frobnicate"}) + line({"type": "describe"}), wait=1.0)
        after = await turn(port, "next", "assist_satellite.hall")
        return results, unknown, after

    with serving(app, voices) as coach:
        results, unknown, after = asyncio.run(main(port_of(coach)))
        time.sleep(0.2)
        assert coach.open == 0  # every bad connection was closed by the server
    for name, (_, code) in cases.items():
        got = results[name]
        assert got[-1] is None, f"{name}: the connection was not closed"
        errors = [e.data.get("code") for e in got[:-1] if e is not None and e.type == "error"]
        assert errors == ([code] if code else []), f"{name}: {got}"
    assert [e.type for e in unknown] == ["error", "info"]  # an unknown event is refused, the connection goes on
    assert unknown[0].data["code"] == "unknown-event"
    assert step_of(app, after.data["text"]) == 4  # the hall's session kept its place throughout


def test_a_client_gone_mid_reply_leaves_the_server_and_the_sessions_as_they_were(app, voices):
    long_text = " ".join(f"Sentence {number_words(n)} of a long breathing break. [pause 1]" for n in range(1, 20))

    async def main(port):
        await turn(port, "explain step six", "assist_satellite.den")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(line({"type": "synthesize", "data": {"text": long_text}}))
        await writer.drain()
        await reader.readline()  # audio-start: it has begun speaking
        writer.transport.abort()  # gone (a reset), mid-stream
        await asyncio.sleep(0.5)
        return await turn(port, "next", "assist_satellite.den")

    with serving(app, voices) as coach:
        after = asyncio.run(main(port_of(coach)))
        deadline = time.monotonic() + 10
        while coach.open and time.monotonic() < deadline:
            time.sleep(0.1)
        assert coach.open == 0  # the half-spoken reply was abandoned, not spoken into the void
    assert step_of(app, after.data["text"]) == 7


def test_a_flood_of_connections_is_refused_past_the_limit_and_silent_ones_are_closed(app, voices):
    async def main(port):
        await turn(port, "explain step two", "assist_satellite.attic")
        flood = await asyncio.gather(*(raw(port, b"", wait=5.0) for _ in range(120)))
        after = await turn(port, "next", "assist_satellite.attic")
        return flood, after

    with serving(app, voices, max_connections=20, connection_timeout=1.0) as coach:
        began = time.perf_counter()
        flood, after = asyncio.run(main(port_of(coach)))
        seconds = time.perf_counter() - began
    busy = [got for got in flood if got and got[0] is not None and got[0].data.get("code") == "busy"]
    assert len(busy) >= 90  # 20 were let in (and closed after 1 s of silence); the rest were told why
    assert all(got and got[-1] is None for got in flood)  # every one was closed by the server
    assert seconds < 5 and step_of(app, after.data["text"]) == 3


FAST = 600.0  # the time-outs' clock runs this many times real time: a minute lasts 0.1 s


def test_a_due_time_out_is_said_at_the_satellites_next_turn_unless_it_is_danger(app, voices):
    async def main(port):
        await asyncio.gather(turn(port, "time out for one minute", "sat-1"), turn(port, "time out for one minute", "sat-2"))
        await asyncio.sleep(1.0)  # both due (a clock minute is 0.1 s here) with nobody to call
        back = await turn(port, "we are back", "sat-1")
        walk = await turn(port, "next", "sat-1")
        danger = await turn(port, DANGER, "sat-2")
        return back, walk, danger

    with serving(app, voices, clock=ScaledClock(FAST)) as coach:
        back, walk, danger = asyncio.run(main(port_of(coach)))
    assert back.type == "handled" and back.data["text"].startswith(app.content.responses["time_out_return"][0])
    assert walk.data["text"].startswith(app.content.restart.parts[1])
    assert danger.type == "handled" and danger.data["text"] == said(app, DANGER)


def test_sessions_are_forgotten_when_idle_and_bounded_least_recently_heard_first(app):
    now = [0.0]
    sessions = Sessions(lambda: app.dialogue(), idle=600.0, limit=3, clock=lambda: now[0])
    try:
        for name in ("a", "b", "c"):
            sessions.turn({"satellite_id": name}, "explain step three")
        now[0] = 10.0
        sessions.turn({"satellite_id": "b"}, "next")  # b heard again: a is now the least recently heard
        sessions.turn({"satellite_id": "d"}, "hello")
        assert [k for _, k in sessions._live] == ["c", "b", "d"]
        assert sessions.turn({"satellite_id": "b"}, "next").reply.text.startswith(app.content.steps[4].parts[0])
        sessions.turn({"satellite_id": "c"}, "time out for twenty minutes")  # c waits to call back
        now[0] = 10.0 + 601
        assert sessions.expire() == 2 and [k for _, k in sessions._live] == ["c"]  # c's time-out runs: kept
        answer = sessions.turn({"satellite_id": "b"}, "next")  # b starts again from nothing
        assert not answer.reply.text.startswith(app.content.steps[5].parts[0])
        for name in ("e", "f", "g"):
            sessions.turn({"satellite_id": name}, "hello")
        assert ("satellite_id", "c") in sessions  # the bound spares a running time-out while it can
        sessions.turn({"satellite_id": "c"}, "goodbye")
        assert ("satellite_id", "c") not in sessions  # goodbye ends the session (and its time-out)
        sessions.turn({}, "explain step three")  # no ids at all: answered, not kept
        assert [k for _, k in sessions._live] == ["f", "g"]
    finally:
        sessions.close()


def test_text_parts_hold_a_cut_pause_mark_until_it_is_whole():
    parts = TextParts()
    assert parts.add("Breathe in. [pa") == [("Breathe in.", 0.0)]
    assert parts.add("use 4") == []
    assert parts.add("] Out. ") == [("", 4.0), ("Out.", 0.0)]
    assert parts.add("Again.") == []
    assert parts.finish() == [("", 0.3), ("Again.", 0.0)]
    with pytest.raises(ValueError):
        TextParts(limit=10).add("x" * 11)
    huge = TextParts()
    assert huge.add("Wait. [pause 100000] ") == [("Wait.", 30.0)]  # a pause mark cannot ask for hours of silence


def test_unix_socket_is_served_and_removed_when_the_server_stops(app, voices, tmp_path):
    path = tmp_path / "coach.sock"

    async def describe():
        async with AsyncUnixClient(path) as client:
            await client.write_event(Describe().event())
            return await asyncio.wait_for(client.read_event(), 1.0)

    with serving(app, voices, uri=f"unix://{path}"):
        assert Info.is_type(asyncio.run(describe()).type)
    assert not path.exists()


# -- the command, run as a user runs it --------------------------------------------------------


def run_serve(*args: str, stdin: bytes = b"", timeout: float = 120, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "serve", *args], input=stdin, capture_output=True,
                          timeout=timeout, env=env or dict(os.environ), cwd=cwd or ROOT)


def test_stdio_serves_one_client_on_stdin_and_stdout():
    stdin = io.BytesIO()
    write_event(Describe().event(), stdin)
    write_event(Transcript("explain step three", context={"satellite_id": "s"}).event(), stdin)
    write_event(Transcript("next", context={"satellite_id": "s"}).event(), stdin)
    result = run_serve("--uri", "stdio://", stdin=stdin.getvalue())
    assert result.returncode == 0, result.stderr.decode()
    out = io.BytesIO(result.stdout)
    events = [read_event(out) for _ in range(3)]
    assert [e.type for e in events] == ["info", "handled", "handled"]
    assert events[2].data["text"].startswith("Step four.")


def test_one_line_refusals_before_anything_loads():
    cases = [(["--uri", "tcp://0.0.0.0:10900", "--zeroconf"], "zeroconf package"),
             (["--zeroconf", "kitchen"], "this machine only"),
             (["--uri", "unix:///tmp/x.sock", "--zeroconf"], "tcp://"),
             (["--uri", "http://127.0.0.1:10900"], "tcp://HOST:PORT"),
             (["--max-sessions", "0"], "--max-sessions")]
    for args, words in cases:
        began = time.perf_counter()
        result = run_serve(*args, timeout=30)
        err = result.stderr.decode()
        assert result.returncode == 2 and words in err and err.count("\n") == 1, (args, err)
        assert time.perf_counter() - began < 10  # refused before the models load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server_process(*args: str, env=None, cwd=None):
    proc = subprocess.Popen([sys.executable, "-m", "assistant", *args], stderr=subprocess.PIPE, env=env, cwd=cwd)
    lines = []
    try:
        for raw_line in proc.stderr:
            lines.append(raw_line.decode())
            if "serving Home Assistant on" in lines[-1]:
                break
        else:
            raise AssertionError("the server did not start: " + "".join(lines))
        yield proc, lines
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        finally:
            lines += [raw_line.decode() for raw_line in proc.stderr]
            proc.stderr.close()


def test_a_network_host_warns_in_one_line_that_wyoming_has_no_encryption():
    with server_process("serve", "--uri", f"tcp://0.0.0.0:{free_port()}") as (proc, lines):
        pass
    warnings = [line_ for line_ in lines if "warning" in line_]
    assert len(warnings) == 1 and "no authentication or encryption" in warnings[0]
    assert proc.returncode == 0  # SIGTERM stops it cleanly


def test_nothing_said_is_logged_or_written_anywhere(tmp_path):
    dirs = {name: tmp_path / name for name in ("work", "home", "tmp")}
    for d in dirs.values():
        d.mkdir()
    from assistant.understanding.encoder import cache_dir
    env = dict(os.environ, HOME=str(dirs["home"]), TMPDIR=str(dirs["tmp"]), XDG_CONFIG_HOME=str(dirs["home"] / ".config"),
               XDG_CACHE_HOME=str(cache_dir().parent), PYTHONDONTWRITEBYTECODE="1")
    port = free_port()
    secrets = ["my husband pushed me down the stairs", "what is step three about", "purple elephants quarrelling",
               "time out for one minute"]

    async def conversation():
        for text in secrets:
            await turn(port, text, "assist_satellite.private")
        await synthesize(port, Synthesize("Breathe with me. [pause 1] Good.").event())

    with server_process("-v", "serve", "--uri", f"tcp://127.0.0.1:{port}", env=env, cwd=dirs["work"]) as (proc, lines):
        asyncio.run(conversation())
        writable = []
        for fd in os.listdir(f"/proc/{proc.pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{proc.pid}/fd/{fd}")
                flags = int(re.search(r"flags:\s+(\d+)", open(f"/proc/{proc.pid}/fdinfo/{fd}").read()).group(1), 8)
                if target.startswith("/") and os.path.isfile(target) and flags & 0o3:
                    writable.append(target)
    log = "".join(lines)
    assert "intent=safety" in log and "intent=explain_step" in log and "intent=None" in log  # -v: intents only
    for text in secrets:
        assert not any(word in log for word in text.split() if len(word) > 4), f"{text!r} leaked into the log"
    assert sorted(str(p) for d in dirs.values() for p in d.rglob("*")) == []
    assert writable == []  # no file held open for writing
