"""Room: the assistant on a laptop in a living room. Its speaker (a PulseAudio null sink) comes back
into its microphone through a loopback (-6 dB, 40 ms) with pink room noise (tests/pulse.py's
Room), while the bench's person speaks into the same microphone. The assistant is `assistant
listen` with its defaults (WebRTC echo cancellation, barge-in, no wake word) in a process of its
own; what it did comes from its `--events` (room_session.py). Four parts:

1. its own voice: the person asks for replies (a step, a breathing break) and is quiet while they
   are read, for 10 minutes (2 with --quick): echo return loss enhancement of both cancellers on
   the same microphone frames (WebRTC's, which the endpointer listens to, and speexdsp's linear
   one, which the recogniser hears while it speaks), their CPU, and every time it acted on its own
   voice (a false barge-in);
2. "stop" said over a step being read or a breathing break: heard, and from the end of the word to
   the reply falling silent (the events' `silenced_at`: the player stopped, plus its output latency);
3. couples talking to each other (tests/data/room_chatter.tsv, written blind): what it said back;
4. requests out of the blue, no wake word (tests/data/room_requests.tsv): answered right.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from evaluate import read_tsv

from . import ROOT
from .common import Run, null_sinks, percentile
from .room_session import Person, Session, SpeakerLevel

VOICES = ("joe", "joe-loose", "en-us", "joe-slow", "joe-quick", "en-gb")  # Piper variants and espeak-ng
ASKING = ("joe", "joe-loose", "joe-slow")  # asking for a reply, again in another voice when misheard
DATA = ROOT / "tests" / "data"
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
           "thirteen")


def section(run: Run) -> list[str]:
    from tests.pulse import Room

    folder = Path(tempfile.mkdtemp(prefix="bench-room-"))
    with null_sinks("bench-room-", "mic", "spk") as server:
        server.pactl("set-default-sink", "spk")
        server.pactl("set-default-source", "mic.monitor")
        room, person, speaker = Room(server), Person(), SpeakerLevel()
        try:
            own = own_voice(run, server, folder, person, speaker)
            stops = stop_tries(run, server, folder, person, speaker)
            talk, asked = others(run, server, folder, person, speaker)
        finally:
            speaker.close()
            person.close()
            room.close()
    return report(own, stops, talk, asked)


def ask(session: Session, person: Person, text: str, intent: str) -> dict | None:
    """Say `text` until it is acted on as `intent` (three voices); the turn (once the reply sounds), or None."""
    for voice in ASKING:
        session.ensure_running()
        before = len(session.turns())
        person.say(text, voice)
        said = time.perf_counter()
        turn = session.wait_turn(before, 6.0)
        if turn is not None and turn["intent"] == intent:
            session.speaker.wait_sound(said)
            return turn
        session.speaker.wait_quiet(timeout=20)  # a reprompt (or whatever it took it for) is over
    return None


def own_voice(run: Run, server, folder: Path, person: Person, speaker: SpeakerLevel) -> dict:
    seconds = 120 if run.quick else 600
    run.progress(f"room: its own voice through the echo path for {seconds // 60} minutes")
    session = Session(server, folder, "own", speaker)
    started = time.monotonic()
    replies, false, k = 0, [], 0
    while time.monotonic() - started < seconds:
        if k % 4 == 3:
            text, intent = "i need a break", "take_break"
        else:
            text, intent = f"tell me about step {NUMBERS[(k - k // 4) % len(NUMBERS)]}", "explain_step"
        k += 1
        if ask(session, person, text, intent) is None:
            continue
        replies += 1
        before = len(session.turns())
        speaker.wait_quiet(timeout=max(1.0, seconds - (time.monotonic() - started)))
        false += session.turns()[before:]  # nobody spoke while it did: whatever it acted on was its own voice
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    summary = session.close()
    ignored = [e for e in session.events() if "kept" in e and "ignored" in e]  # heard over its voice, let go
    return {"seconds": elapsed, "replies": replies, "false": false, "ignored": len(ignored),
            "summary": summary[-1] if summary else {}, "restarts": session.restarts}


def stop_tries(run: Run, server, folder: Path, person: Person, speaker: SpeakerLevel) -> dict:
    n = 8 if run.quick else 24
    run.progress(f"room: 'stop' said {n} times over its own voice")
    session = Session(server, folder, "stop", speaker)
    rng = np.random.default_rng(3)
    heard, silenced, missed_asks = [], [], 0
    for k in range(n):
        speaker.wait_quiet(timeout=120)
        turn = (ask(session, person, "tell me about step three", "explain_step") if k % 2 == 0
                else ask(session, person, "i need a break", "take_break"))
        if turn is None:
            missed_asks += 1
            continue
        time.sleep(float(rng.uniform(2.5, 6.0)))
        before = len(session.turns())
        word_end = person.say("stop", VOICES[k % len(VOICES)])
        turn = session.wait_turn(before, 4.0, "stop")
        heard.append(turn is not None)
        if turn is not None and "silenced_at" in turn:
            silenced.append((turn["silenced_at"] - word_end) * 1000)
        for voice in ASKING if turn is None else ():  # still speaking: say it again until it stops
            if not speaker.sounding():
                break
            before = len(session.turns())
            person.say("please stop", voice)
            if session.wait_turn(before, 4.0, "stop"):
                break
        speaker.wait_quiet(timeout=120)
    summary = session.close()
    return {"heard": heard, "silenced_ms": silenced, "missed_asks": missed_asks, "restarts": session.restarts,
            "summary": summary[-1] if summary else {}}


def others(run: Run, server, folder: Path, person: Person, speaker: SpeakerLevel) -> tuple[dict, dict]:
    """Parts 3 and 4, in one session."""
    from assistant.room.addressed import CONTROL

    session = Session(server, folder, "talk", speaker)
    rows = read_tsv(DATA / "room_chatter.tsv")
    if run.quick:
        rows = rows[1::4]
    run.progress(f"room: {len(rows)} lines of a couple talking to each other")
    time.sleep(9.0)  # past the follow-up window after its greeting
    before = len(session.turns())
    for k, r in enumerate(rows):
        session.ensure_running()
        person.say(r["text"], VOICES[k % len(VOICES)])
        time.sleep(1.8)
    speaker.wait_quiet(timeout=120)
    talk = {"lines": len(rows), "said": session.turns()[before:]}

    rows = [r for i, r in enumerate(read_tsv(DATA / "room_requests.tsv")) if i % 2 and r["intent"] not in CONTROL]
    if run.quick:
        rows = rows[::2]
    run.progress(f"room: {len(rows)} requests out of the blue (held-out rows), no wake word")
    results = []
    for k, r in enumerate(rows):
        speaker.wait_quiet(timeout=120)
        time.sleep(9.0)  # out of the blue: nothing said for longer than the follow-up window
        session.ensure_running()
        before = len(session.turns())
        person.say(r["text"], VOICES[k % len(VOICES)])
        got = session.wait_turn(before, 6.0)
        results.append((r["text"], r["intent"], got["intent"] if got else None))
        time.sleep(2.0)
        if speaker.sounding():  # whatever it answered: cut it short, as a person would
            person.say("stop", "joe")
    session.close()
    return talk, {"results": results, "restarts": session.restarts}


def report(own: dict, stops: dict, talk: dict, asked: dict) -> list[str]:
    echo = own["summary"].get("echo") or {}
    erle, cpu = echo.get("erle_db", {}), echo.get("cpu_ms_per_s", {})
    roles = {"webrtc": "shipped; the endpointer listens to it", "speex": "shipped; the recogniser hears it while it speaks"}
    lines = ["## Room: its own echo, a couple talking, and stop", "",
             "The assistant's speaker comes back into its microphone through a PulseAudio loopback (-6 dB, "
             "40 ms) with pink room noise (-48 dBFS), while the bench's person (Piper variants and espeak-ng "
             "voices) talks into the same microphone. `assistant listen` with its defaults (WebRTC echo "
             "cancellation, barge-in, no wake word; Moonshine with PocketSphinx beside it; the Piper voice) in a process of its own; "
             "what it did is read from its `--events`.", "",
             f"**Its own voice**: {own['replies']} replies (steps and breathing breaks, each asked for by the "
             f"person, who was then quiet) over {own['seconds'] / 60:.1f} minutes.", "",
             "| echo canceller | echo return loss enhancement | CPU per second of audio |", "|---|---:|---:|"]
    for name in cpu:
        value = erle.get(name)
        lines.append(f"| {name} ({roles.get(name, 'measured')}) | {'-' if value is None else f'{value:.1f}'} dB "
                     f"| {cpu[name]:.1f} ms |")
    session = own["summary"]
    false = own["false"]
    lines += ["", f"False barge-ins (it acted on its own voice): **{len(false)}**"
              + (": " + "; ".join(f"\"{t['transcript']}\" -> {t['intent']}" for t in false) if false else "")
              + f". Utterances heard over its voice and ignored: {own['ignored']}. Its playback ran dry "
              f"{session.get('underruns', '?')} times; microphone blocks dropped: {session.get('dropped', '?')}.", ""]
    heard, ms = stops["heard"], stops["silenced_ms"]
    lines += [f"**\"stop\" over its own voice** (said once, 2.5-6 s into a step being read or a breathing break; "
              f"{len(heard)} tries, voices {', '.join(VOICES)}): heard **{sum(heard)}/{len(heard)}** "
              f"({100 * sum(heard) / max(1, len(heard)):.0f}%, goal 95%)."]
    if ms:
        lines.append(f"End of the word to the reply silenced (the player stopped, plus its output latency): "
                     f"median {statistics.median(ms):.0f} ms, p95 {percentile(ms, 95):.0f} ms (goal under 300 ms).")
    if stops["missed_asks"]:
        lines.append(f"({stops['missed_asks']} tries skipped: the request for the reply was not understood three times.)")
    restarts = own["restarts"] + stops["restarts"] + asked["restarts"]
    if restarts:
        lines.append(f"It ended the session itself {restarts} times (a goodbye heard in what was said) and was started again.")
    said = talk["said"]
    reprompts = [t for t in said if t["intent"] is None]
    safety = [t for t in said if t["intent"] in ("safety", "safety_check")]
    other = [t for t in said if t["intent"] is not None and t not in safety]
    lines += ["", f"**A couple talking to each other**: {talk['lines']} lines of tests/data/room_chatter.tsv "
              f"(arguments, everyday talk, making up, lines with its own words in them), 1.8 s apart. "
              f"Reprompts: **{len(reprompts)}** (goal 0). Actions: {len(other)}"
              + (" (" + "; ".join(f"\"{t['transcript']}\" -> {t['intent']}" for t in other) + ")" if other else "")
              + f". Safety answers or questions (the safety net's false alarms on arguments): {len(safety)}"
              + (" (" + "; ".join(f"\"{t['transcript']}\" -> {t['intent']}" for t in safety) + ")" if safety else "")
              + ".", ""]
    res = asked["results"]
    right = sum(1 for _, want, got in res if got == want)
    lines += [f"**Requests out of the blue** (no wake word, more than 8 s after it last spoke; held-out rows of "
              f"tests/data/room_requests.tsv, controls left out): answered right {right}/{len(res)}.",
              "", "| said | wanted | got |", "|---|---|---|"]
    lines += [f"| {text} | {want} | {got} |" for text, want, got in res]
    lines.append("")
    return lines
