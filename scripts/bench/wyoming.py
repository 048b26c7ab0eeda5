"""Home Assistant's satellites through Wyoming: `assistant serve` run as its own process, driven by the
`wyoming` package's own client the way Home Assistant's Wyoming integration drives it.

Turns: a new connection per turn carrying a Transcript with HA's context (conversation_id, device_id,
satellite_id), timed from connect to the Handled (or NotHandled) read back. 50 satellites at once
in two ways: all talking back to back (each sends its next turn the moment it has its answer: the
worst case, a queue) and at a spoken pace (each a turn every 1 to 3 s, at random). Each satellite
walks the steps and mixes in requests and misses, words varied so nothing is answered from a cache.
Voice: Synthesize (and HA's streaming form, SynthesizeStart/Chunk/Synthesize/Stop) of replies never
spoken before (cold) and again (warm: Piper's line cache), timed to the first AudioChunk and to the
end; real-time factor = seconds to stream a reply / seconds of audio in it (its pauses included).
Memory: the server's RSS idle, with 50 live sessions, and its peak.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from .common import Run, percentile

SATELLITES = 50
ROOT = Path(__file__).resolve().parents[2]
REQUESTS = ["i need a break", "help me apologize", "how do i say how i feel", "what can you do",
            "repeat that", "slow down please", "list the steps", "we need a moment", "go back"]
MISSES = ["what's the weather like", "put on some music", "did you feed the cat", "turn off the lights"]
FILLERS = ["", "okay ", "um ", "so ", "please "]


def section(run: Run) -> list[str]:
    turns_each = 10 if run.quick else 20
    server = subprocess.Popen([sys.executable, "-m", "assistant", "-v", "serve", "--uri", "tcp://127.0.0.1:0"],
                              stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        port = None
        for line in server.stderr:
            found = re.search(r"serving Home Assistant on tcp://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        if port is None:
            return ["## Home Assistant satellites (Wyoming)", "", "The server did not start.", ""]
        inside: list[float] = []  # the server's own ms per turn (-v logs it: Transcript read to answer written)
        threading.Thread(target=drain, args=(server.stderr, inside), daemon=True).start()
        idle = memory(server.pid)
        run.progress(f"wyoming: {SATELLITES} satellites, {turns_each} turns each, back to back")
        burst = asyncio.run(satellites(port, turns_each, pace=None))
        burst["inside"] = taken(inside)
        live = memory(server.pid)
        run.progress(f"wyoming: {SATELLITES} satellites, {turns_each} turns each, at a spoken pace")
        paced = asyncio.run(satellites(port, turns_each, pace=(1.0, 3.0)))
        paced["inside"] = taken(inside)
        run.progress("wyoming: the voice, cold and warm, plain and streamed")
        voice = asyncio.run(speech(port, run.app, 4 if run.quick else 8))  # replies per kind of request
        after = memory(server.pid)
    finally:
        server.terminate()
        server.wait(20)
    return report(burst, paced, voice, idle, live, after, turns_each)


def drain(stream, inside: list[float]) -> None:
    for line in stream:
        found = re.search(r"turn: .* in ([0-9.]+) ms", line)
        if found:
            inside.append(float(found.group(1)))


def taken(inside: list[float]) -> tuple[float, float]:
    """p50 and p99 of the server's own turn times logged so far, and forget them."""
    time.sleep(0.2)  # the last lines
    got, inside[:] = list(inside), []
    return (statistics.median(got), percentile(got, 99)) if got else (float("nan"), float("nan"))


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of the server, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: int(re.search(rf"{k}:\s+(\d+)", status).group(1)) / 1024 for k in ("VmRSS", "VmHWM")}


def utterances(rng: random.Random, n: int) -> list[str]:
    """One satellite's turns: into a step, then walking on, with requests and misses among them."""
    out = [f"{rng.choice(FILLERS)}explain step {rng.randint(1, 12)}"]
    while len(out) < n:
        roll = rng.random()
        pool = ["next", "next please", "what's next", "go on"] if roll < 0.5 else REQUESTS if roll < 0.85 else MISSES
        out.append(rng.choice(FILLERS) + rng.choice(pool))
    return out


async def one_turn(port: int, text: str, satellite: str) -> tuple[float, str]:
    from wyoming.asr import Transcript
    from wyoming.client import AsyncTcpClient

    began = time.perf_counter()
    context = {"conversation_id": uuid.uuid4().hex, "device_id": f"device-{satellite}", "satellite_id": satellite}
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Transcript(text, context=context, language="en").event())
        event = await asyncio.wait_for(client.read_event(), 30)
    return (time.perf_counter() - began) * 1000, event.type


async def satellites(port: int, turns_each: int, pace: tuple[float, float] | None) -> dict:
    async def satellite(i: int) -> list[tuple[float, str]]:
        rng = random.Random(i)
        name = f"assist_satellite.bench_{i}_{uuid.uuid4().hex[:6]}"
        if pace:
            await asyncio.sleep(rng.uniform(0, pace[1]))
        times = []
        for text in utterances(rng, turns_each):
            times.append(await one_turn(port, text, name))
            if pace:
                await asyncio.sleep(rng.uniform(*pace))
        return times

    began = time.perf_counter()
    results = [t for sat in await asyncio.gather(*(satellite(i) for i in range(SATELLITES))) for t in sat]
    seconds = time.perf_counter() - began
    ms = [t for t, _ in results]
    return {"n": len(ms), "p50": statistics.median(ms), "p99": percentile(ms, 99), "max": max(ms),
            "per_s": len(ms) / seconds, "missed": sum(kind == "not-handled" for _, kind in results)}


async def synthesize(port: int, text: str, streamed: bool) -> tuple[float, float, float]:
    """(ms to the first audio chunk, ms to the end, seconds of audio)."""
    from wyoming.audio import AudioChunk
    from wyoming.client import AsyncTcpClient
    from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

    end = "synthesize-stopped" if streamed else "audio-stop"
    began = time.perf_counter()
    first, audio = None, 0.0
    async with AsyncTcpClient("127.0.0.1", port) as client:
        if streamed:  # as Home Assistant streams a reply: start, the text, the whole text again, stop
            for event in (SynthesizeStart(), SynthesizeChunk(text), Synthesize(text), SynthesizeStop()):
                await client.write_event(event.event())
        else:
            await client.write_event(Synthesize(text).event())
        while True:
            event = await asyncio.wait_for(client.read_event(), 60)
            if AudioChunk.is_type(event.type):
                first = first or (time.perf_counter() - began) * 1000
                audio += AudioChunk.from_event(event).seconds
            elif event.type == end:
                return first, (time.perf_counter() - began) * 1000, audio


async def speech(port: int, app, n: int) -> dict:
    asked = [f"explain step {k}" for k in range(1, 14)] + ["i need a break", "help me apologize",
                                                         "how do i say how i feel"]
    texts = [app.dialogue().turn(q)[1].text for q in asked][: 2 * n]
    plain, streamed = texts[0::2], texts[1::2]  # each a mix of steps and the rest, none said twice
    out = {}
    for label, group, is_streamed in (("cold", plain, False), ("warm", plain, False),
                                      ("cold, streamed", streamed, True), ("warm, streamed", streamed, True)):
        rows = [await synthesize(port, t, is_streamed) for t in group]
        out[label] = {"first": [r[0] for r in rows], "rtf": sum(r[1] for r in rows) / 1000 / sum(r[2] for r in rows),
                      "audio": statistics.median(r[2] for r in rows)}
    return out


def report(burst, paced, voice, idle, live, after, turns_each) -> list[str]:
    def turns_row(label, r):
        return (f"| {label} | {r['n']:,} | {r['p50']:.1f} | **{r['p99']:.1f}** | {r['max']:.0f} | "
                f"{r['inside'][0]:.1f} / {r['inside'][1]:.1f} | {r['per_s']:.0f} | {r['missed']} |")

    lines = ["## Home Assistant satellites (Wyoming)", "",
             f"`assistant serve` as its own process on 127.0.0.1, driven by the `wyoming` package's own client as "
             f"Home Assistant drives it: {SATELLITES} satellites, each a new connection per turn with HA's context "
             f"(conversation_id, device_id, satellite_id), {turns_each} turns each (walking the steps, requests, "
             "misses; words varied, no answer cached). Turn time = connect, Transcript, Handled read back. Goal: "
             "p99 under 50 ms. In the server = its own time from the Transcript read to the answer written "
             "(waiting for a worker thread included), as `-v` logs it.", "",
             "| 50 satellites | turns | p50 ms | p99 ms | max ms | in the server p50 / p99 ms | turns/s | "
             "misses (NotHandled) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|",
             turns_row("back to back (each asks again the moment it is answered)", burst),
             turns_row("at a spoken pace (each a turn every 1-3 s)", paced), "",
             f"Back to back the server answers {burst['per_s']:.0f} turns a second, about "
             f"{2000 / burst['per_s']:.0f} ms of the two cores a turn (matching, safety stage, dialogue, protocol; "
             "the client shares the cores): 50 turns asked at once wait in a queue for them, which is what the "
             "back-to-back times measure.", "",
             "The voice: replies never rendered before (the steps, a breathing break, an apology's walkthrough; "
             "about a minute each, pauses included), Piper "
             "en_US-joe-medium, 22,050 Hz 16-bit mono. First chunk = ms from sending the request to the first "
             "AudioChunk (goal: under 150 ms). RTF = seconds to stream the whole reply / seconds of audio.", "",
             "| request | replies | first chunk median ms | first chunk max ms | RTF | audio s (median) |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, r in voice.items():
        lines.append(f"| Synthesize, {label} | {len(r['first'])} | **{statistics.median(r['first']):.0f}** | "
                     f"{max(r['first']):.0f} | {r['rtf']:.3f} | {r['audio']:.1f} |")
    lines += ["", f"Server memory: RSS {idle['VmRSS']:.0f} MB idle (models loaded), {live['VmRSS']:.0f} MB with "
                  f"{SATELLITES} live sessions, {after['VmRSS']:.0f} MB after the voice; peak {after['VmHWM']:.0f} MB "
                  "(budget: 1 GB).", ""]
    return lines
