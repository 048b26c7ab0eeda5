"""Voice loop: end of speech to the first sound of the reply, in the room rig (room.py's: its speaker
comes back into its microphone through a loopback, with pink room noise), `assistant listen` with
its defaults in a process of its own (Moonshine, the end of turn, WebRTC's canceller, Piper). A
person (the Piper voice's variants) asks for things; when the reply sounds, says "stop" and waits
for quiet. Then hesitant requests (tests/data/hesitant.tsv, written blind, its held-out half): said
with their pauses (0.5-1.5 s inside the sentence), each must be answered once, after its end, not
on a fragment. Leaves the stages and totals in run.shared["voice"] for the plot."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from evaluate import read_tsv

from . import ROOT
from .common import Run, null_sinks, percentile
from .room_session import WALL, Person, Session, SpeakerLevel

PHRASES = ["i need a break", "explain step three", "help me apologize", "what can i say", "list the steps",
           "how do we rebuild trust", "give us twenty minutes apart", "help me say how i feel",
           "can our relationship be saved", "i need to calm down"]
VOICES = ("joe", "joe-loose", "joe-slow", "joe-quick")
STAGES = {"endpoint": "end of turn (silence waited)", "decode": "decode finalise", "match": "intent match",
          "dialogue": "dialogue", "first_audio": "render + playback start"}


def section(run: Run) -> list[str]:
    from tests.pulse import Room

    folder = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    with null_sinks("bench-voice-", "mic", "spk") as server:
        server.pactl("set-default-sink", "spk")
        server.pactl("set-default-source", "mic.monitor")
        room, person, speaker = Room(server), Person(), SpeakerLevel()
        try:
            session = Session(server, folder, "voice", speaker)
            asked = requests(run, session, person, speaker)
            hesitant = hesitations(run, session, person, speaker)
            session.close()
        finally:
            speaker.close()
            person.close()
            room.close()
    return report(run, asked, hesitant)


def first_sound(speaker: SpeakerLevel, since: float, timeout: float = 6.0) -> float | None:
    """perf_counter of the first block with sound after `since` (polled every 2 ms), or None."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if speaker.last_sound > since:
            return speaker.last_sound
        time.sleep(0.002)
    return None


def hush(session: Session, person: Person, speaker: SpeakerLevel) -> None:
    """Whatever it is saying, cut short with "stop" as a person would, then quiet."""
    for voice in ("joe", "joe-slow"):
        if not speaker.sounding(1.0):
            break
        person.say("stop", voice)
        time.sleep(1.0)
    speaker.wait_quiet(quiet=3.0, timeout=60)


def requests(run: Run, session: Session, person: Person, speaker: SpeakerLevel) -> dict:
    phrases = PHRASES[:4] if run.quick else PHRASES * 2
    run.progress(f"voice loop: {len(phrases)} requests in the room rig")
    turns, totals = [], []
    for k, text in enumerate(phrases):
        session.ensure_running()
        before = len(session.turns())
        ended = person.say(text, VOICES[k % len(VOICES)]) - WALL  # perf_counter of its last sample
        sound = first_sound(speaker, ended)
        turn = session.wait_turn(before, 3.0)
        if turn is not None:
            turns.append((text, turn))
            if sound is not None:
                totals.append((sound - ended) * 1000)
        hush(session, person, speaker)
    return {"turns": turns, "totals": totals, "n": len(phrases)}


def hesitations(run: Run, session: Session, person: Person, speaker: SpeakerLevel) -> dict:
    from speech_material import hesitant_say

    rows = [r for r in read_tsv(ROOT / "tests" / "data" / "hesitant.tsv") if r["split"] == "test"]
    rows = rows[::4] if run.quick else rows
    run.progress(f"voice loop: {len(rows)} hesitant requests (held-out half of hesitant.tsv)")
    results = []
    for k, r in enumerate(rows):
        session.ensure_running()
        audio, pauses = hesitant_say(r["said"], VOICES[k % len(VOICES)], 22050)
        before = len(session.turns())
        started = time.perf_counter()
        ended = person.play(audio.samples) - WALL
        sound = first_sound(speaker, ended, 6.0)
        time.sleep(1.0)
        got = session.turns()[before:]
        early = [t for t in got if t["time"] - WALL < ended - 0.05]  # acted on before the sentence ended
        results.append({"said": r["said"], "want": r["intent"], "turns": got, "cut": bool(early),
                        "wait_ms": None if sound is None else (sound - ended) * 1000,
                        "seconds": ended - started})
        hush(session, person, speaker)
    return {"results": results}


def report(run: Run, asked: dict, hesitant: dict) -> list[str]:
    stages: dict[str, list[float]] = {}
    kinds: dict[str, int] = {}
    for _, t in asked["turns"]:
        kinds[t.get("end_of_turn") or "early"] = kinds.get(t.get("end_of_turn") or "early", 0) + 1
        for key, v in t["timings_ms"].items():
            if v is not None and key in STAGES:
                stages.setdefault(key, []).append(v)
    right = sum(t["transcript"] == text for text, t in asked["turns"])
    totals = asked["totals"]
    lines = ["## Voice loop: end of speech to first audio", "",
             f"{asked['n']} requests said by the Piper voice's variants ({', '.join(VOICES)}) in the room rig "
             "(its speaker looped back into its microphone at -6 dB, 40 ms, pink room noise), answered by "
             "`assistant listen` with its defaults in a process of its own (Moonshine, `--turn smart`, WebRTC's "
             f"canceller, Piper), each cut short with \"stop\" once it sounded. {len(asked['turns'])} answered, "
             f"{right} transcripts exactly right; how each turn ended: "
             + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ". End of speech: the person's last "
             "sample; first sound: the first 30 ms block over -48 dBFS on its speaker.", "",
             "| stage | turns | median ms | p95 ms |", "|---|---:|---:|---:|"]
    for key, label in STAGES.items():
        v = stages.get(key, [])
        if v:
            lines.append(f"| {label} | {len(v)} | {statistics.median(v):.0f} | {percentile(v, 95):.0f} |")
    if totals:
        lines.append(f"| **end of speech to first sound recorded on the speaker** | {len(totals)} | "
                     f"**{statistics.median(totals):.0f}** | **{percentile(totals, 95):.0f}** |")
    turn_ms = stages.get("turn", [])
    if turn_ms:
        lines.append(f"| (within the end of turn: silence start to verdict, decode and turn model) | {len(turn_ms)} "
                     f"| {statistics.median(turn_ms):.0f} | {percentile(turn_ms, 95):.0f} |")
    res = hesitant["results"]
    cut = [r for r in res if r["cut"]]
    waits = [r["wait_ms"] for r in res if r["wait_ms"] is not None and not r["cut"]]
    right = sum(1 for r in res if r["turns"] and r["turns"][-1]["intent"] == (None if r["want"] == "none" else r["want"]))
    lines += ["", f"Hesitant requests (tests/data/hesitant.tsv, held-out half, {len(res)} rows; 1-3 pauses of 0.5-1.5 s "
              "inside each, said by the Piper voice with a comma at each pause, the gap stretched to its length): "
              f"**{len(cut)} of {len(res)} ({len(cut) / max(1, len(res)):.1%}) answered on a fragment** before the "
              f"sentence ended; end of speech to first sound for the rest: median "
              f"{statistics.median(waits):.0f} ms, p95 {percentile(waits, 95):.0f} ms; last turn's intent right "
              f"{right} of {len(res)}." if waits else "", ""]
    if cut:
        lines += ["Cut short: " + "; ".join(f"\"{r['said']}\" -> {r['turns'][0].get('transcript')!r}" for r in cut[:6]),
                  ""]
    lines += ["Goals: median 450 ms or less, p95 700 ms or less; hesitant requests cut off 2% or fewer.", ""]
    run.shared["voice"] = {"stages": {STAGES[k]: v for k, v in stages.items() if k in STAGES}, "totals": totals}
    return lines
