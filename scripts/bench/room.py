"""Room: the assistant on a laptop in a living room. Its speaker (a PulseAudio null sink) comes back
into its microphone through a loopback (-6 dB, 40 ms) with pink room noise (tests/pulse.py's
Room), while the bench's person speaks into the same microphone. The whole VoiceLoop runs with its
defaults: WebRTC echo cancellation, barge-in, no wake word. Four parts:

1. its own voice: replies (steps, topics, a breathing break) read back to back for 10 minutes
   (2 with --quick), nobody talking: echo return loss enhancement of both cancellers on the same
   microphone frames, their CPU, and every time it acted on its own voice (a false barge-in);
2. "stop" said over a step being read or a breathing break: heard, and from the end of the word
   to the playback being silenced;
3. couples talking to each other (tests/data/room_chatter.tsv, written blind): what it said back;
4. requests out of the blue, no wake word (tests/data/room_requests.tsv): answered right.
"""

from __future__ import annotations

import io
import json
import statistics
import threading
import time

import numpy as np

from evaluate import read_tsv

from . import ROOT
from .common import Run, null_sinks, percentile
from .spoken.audio import render

VOICES = ("joe", "joe-loose", "en-us", "joe-slow", "joe-quick", "en-gb")  # Piper variants and espeak-ng
DATA = ROOT / "tests" / "data"


class Person:
    """Speaks into the microphone sink through a stream of its own; knows when each clip ended."""

    def __init__(self) -> None:
        import sounddevice as sd

        from tests.pulse import sink

        self._clip: np.ndarray | None = None
        self._at = 0
        self.ended_at: float | None = None
        self._done = threading.Event()
        self._done.set()

        def play(outdata, frames, time_info, status):
            outdata.fill(0)
            clip = self._clip
            if clip is None:
                return
            n = min(frames, len(clip) - self._at)
            outdata[:n, 0] = clip[self._at:self._at + n]
            self._at += n
            if self._at >= len(clip):
                ahead = max(0.0, time_info.outputBufferDacTime - time_info.currentTime)
                self.ended_at = time.perf_counter() + ahead + n / 22050
                self._clip = None
                self._done.set()

        with sink("mic"):
            self.stream = sd.OutputStream(samplerate=22050, channels=1, dtype="float32", device="pulse",
                                          blocksize=1024, latency="high", callback=play)
        self.stream.start()

    def say(self, text: str, voice: str) -> float:
        """Say `text` in `voice`; returns (after it is said) when its last sample sounded."""
        from assistant.audio import trim_silence

        audio = trim_silence(render(text, voice))
        self._done.clear()
        self._at, self._clip = 0, audio.samples.astype(np.float32)
        self._done.wait(30)
        return self.ended_at or time.perf_counter()

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()


class Measured:
    """The shipped echo filter, with the other canceller run on the same frames for comparison:
    while `measuring`, the energy in and out of each while the speaker sounds, and their CPU."""

    def __init__(self, main, other) -> None:
        self.main, self.other = main, other
        self.measuring = False
        self.energy = {"in": 0.0, main.canceller.name: 0.0, other.canceller.name: 0.0}
        self.cpu = {main.canceller.name: 0.0, other.canceller.name: 0.0}
        self.frames = 0

    @property
    def echo_only(self) -> bool:
        return self.main.echo_only

    def __call__(self, frame, captured_at):
        t = time.perf_counter()
        out = self.main(frame, captured_at)
        t2 = time.perf_counter()
        if self.measuring:
            other = self.other(frame, captured_at)
            self.cpu[self.main.canceller.name] += t2 - t
            self.cpu[self.other.canceller.name] += time.perf_counter() - t2
            self.frames += 1
            if np.abs(self.main.reference.at(captured_at, len(frame))).max(initial=0) > 1e-3:
                self.energy["in"] += float(np.sum(frame.astype(np.float64) ** 2))
                self.energy[self.main.canceller.name] += float(np.sum(out.astype(np.float64) ** 2))
                self.energy[self.other.canceller.name] += float(np.sum(other.astype(np.float64) ** 2))
        return out


class RoomLoop:
    """The VoiceLoop with its defaults, listening on mic.monitor and speaking (Piper) into spk."""

    def __init__(self, run: Run) -> None:
        from assistant.capture import CaptureSettings, Microphone
        from assistant.echo import EchoFilter, Reference, make_canceller
        from assistant.piper_tts import PiperRenderer
        from assistant.playback import SoundDevicePlayer
        from assistant.recognize import PocketSphinxEngine
        from assistant.speaker import Speaker
        from assistant.voice import Events, VoiceLoop

        app = run.app
        engine = PocketSphinxEngine([x.text for x in app.catalogue.sentences],
                                    lambda t: app.matcher.match(t).intent is not None)
        self.mic = Microphone(CaptureSettings(input_device="pulse"))  # the default source: mic.monitor
        self.mic.open()
        renderer = PiperRenderer()
        self.player = SoundDevicePlayer("pulse")  # the default sink: spk
        self.speaker = Speaker(renderer, self.player, content=app.content)
        reference = Reference()
        self.player.reference = reference
        self.echo = Measured(EchoFilter(make_canceller("webrtc"), reference),
                             EchoFilter(make_canceller("speex"), reference))
        self.log = io.StringIO()
        self.loop = VoiceLoop(self.mic, engine, app.dialogue(), self.speaker, Events(self.log),
                              say=lambda text: None, echo=self.echo)
        self.thread = threading.Thread(target=self.loop.run, args=(app.dialogue().greeting().text,), daemon=True)
        self.thread.start()
        self.wait_quiet()

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.log.getvalue().splitlines()]

    def turns(self) -> list[dict]:
        return [e for e in self.events() if "turn" in e]

    def wait_quiet(self, extra: float = 0.5, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while self.speaker.speaking and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(extra)

    def reply(self, reply) -> None:
        with self.loop.calls.lock:
            self.loop.answer(reply)

    def close(self) -> None:
        self.loop.stopping.set()
        self.thread.join(timeout=5)
        self.mic.close()
        self.speaker.close()


def section(run: Run) -> list[str]:
    from tests.pulse import Room

    with null_sinks("bench-room-", "mic", "spk") as server:
        server.pactl("set-default-sink", "spk")
        server.pactl("set-default-source", "mic.monitor")
        room = Room(server)
        person = Person()
        rl = RoomLoop(run)
        try:
            own = own_voice(run, rl)
            stops = stop_tries(run, rl, person)
            talk = couple_talk(run, rl, person)
            asked = requests(run, rl, person)
        finally:
            rl.close()
            person.close()
            room.close()
    return report(run, own, stops, talk, asked)


def own_voice(run: Run, rl: RoomLoop) -> dict:
    from assistant.messages import IntentMatch, Reply

    content = run.app.content
    texts = [" ".join(s.parts) for s in [*content.steps, *content.topics.values()]]
    seconds = 120 if run.quick else 600
    run.progress(f"room: its own voice through the echo path for {seconds // 60} minutes")
    before = len(rl.turns())
    rl.echo.measuring = True
    started = time.monotonic()
    played = 0
    i = 0
    while time.monotonic() - started < seconds:
        if i % 6 == 3:
            rl.reply(rl.loop.dialogue.respond(IntentMatch("take_break", 100.0)))
        else:
            rl.reply(Reply(texts[i % len(texts)]))
        i += 1
        deadline = started + seconds
        while rl.speaker.speaking and time.monotonic() < deadline:
            time.sleep(0.05)
        rl.speaker.stop()
        played += 1
        time.sleep(0.5)
    rl.echo.measuring = False
    elapsed = time.monotonic() - started
    acted = rl.turns()[before:]
    ignored = [e for e in rl.events() if e.get("ignored") == "heard while speaking"]
    return {"seconds": elapsed, "replies": played, "acted": acted, "ignored": len(ignored),
            "energy": dict(rl.echo.energy), "cpu": dict(rl.echo.cpu), "frames": rl.echo.frames}


def stop_tries(run: Run, rl: RoomLoop, person: Person) -> dict:
    from assistant.messages import IntentMatch, Reply

    n = 8 if run.quick else 24
    run.progress(f"room: 'stop' said {n} times over its own voice")
    step3 = " ".join(run.app.content.steps[2].parts)
    rng = np.random.default_rng(3)
    heard, silenced = [], []
    for k in range(n):
        rl.wait_quiet(extra=1.0)
        if k % 2:
            rl.reply(rl.loop.dialogue.respond(IntentMatch("take_break", 100.0)))
        else:
            rl.reply(Reply(step3))
        time.sleep(float(rng.uniform(2.5, 6.0)))
        before = len(rl.turns())
        stopped_before = rl.player.stopped_at
        word_end = person.say("stop", VOICES[k % len(VOICES)])
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and not [t for t in rl.turns()[before:] if t["intent"] == "stop"]:
            time.sleep(0.02)
        ok = bool([t for t in rl.turns()[before:] if t["intent"] == "stop"])
        heard.append(ok)
        if ok and rl.player.stopped_at != stopped_before:
            # the mixer went silent at stopped_at; what it had handed the device still sounds for
            # the output latency
            silenced.append((rl.player.stopped_at + rl.player.ahead - word_end) * 1000)
        rl.speaker.stop()
    return {"heard": heard, "silenced_ms": silenced}


def couple_talk(run: Run, rl: RoomLoop, person: Person) -> dict:
    rows = read_tsv(DATA / "room_chatter.tsv")
    if run.quick:
        rows = rows[1::4]
    run.progress(f"room: {len(rows)} lines of a couple talking to each other")
    rl.wait_quiet(extra=9.0)  # past the follow-up window after its last words
    before = len(rl.turns())
    for k, r in enumerate(rows):
        person.say(r["text"], VOICES[k % len(VOICES)])
        time.sleep(1.8)
    rl.wait_quiet(extra=2.0)
    said = rl.turns()[before:]
    return {"lines": len(rows), "said": said}


def requests(run: Run, rl: RoomLoop, person: Person) -> dict:
    from assistant.addressed import CONTROL

    rows = [r for i, r in enumerate(read_tsv(DATA / "room_requests.tsv")) if i % 2 and r["intent"] not in CONTROL]
    if run.quick:
        rows = rows[::2]
    run.progress(f"room: {len(rows)} requests out of the blue (held-out rows), no wake word")
    results = []
    for k, r in enumerate(rows):
        rl.wait_quiet(extra=9.0)  # out of the blue: nothing said for longer than the follow-up window
        before = len(rl.turns())
        person.say(r["text"], VOICES[k % len(VOICES)])
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and len(rl.turns()) == before:
            time.sleep(0.05)
        got = rl.turns()[before:]
        results.append((r["text"], r["intent"], got[0]["intent"] if got else None))
        time.sleep(2.0)
        rl.speaker.stop()
    return {"results": results}


def _db(ratio: float) -> str:
    return f"{10 * np.log10(ratio):.1f}" if ratio > 0 else "-"


def report(run: Run, own: dict, stops: dict, talk: dict, asked: dict) -> list[str]:
    e, cpu = own["energy"], own["cpu"]
    audio_s = own["frames"] * 0.03 or 1
    lines = ["## Room: its own echo, a couple talking, and stop", "",
             "The assistant's speaker comes back into its microphone through a PulseAudio loopback (-6 dB, "
             "40 ms) with pink room noise (-48 dBFS), while the bench's person (Piper variants and espeak-ng "
             "voices) talks into the same microphone. `VoiceLoop` with its defaults: WebRTC echo "
             "cancellation, barge-in, no wake word; PocketSphinx; the Piper voice.", "",
             f"**Its own voice**: {own['replies']} replies (steps, topics, breathing breaks) over "
             f"{own['seconds'] / 60:.1f} minutes, nobody talking.", "",
             "| echo canceller | echo return loss enhancement | CPU per second of audio |", "|---|---:|---:|"]
    for name in cpu:
        lines.append(f"| {name}{' (shipped)' if name == 'webrtc' else ''} | {_db(e['in'] / e[name]) if e[name] else '-'} dB "
                     f"| {cpu[name] / audio_s * 1000:.1f} ms |")
    acted = own["acted"]
    lines += ["", f"False barge-ins (it acted on its own voice): **{len(acted)}**"
              + (": " + "; ".join(f"\"{t['transcript']}\" -> {t['intent']}" for t in acted) if acted else "")
              + f". Utterances heard over its voice and ignored: {own['ignored']}.", ""]
    heard, ms = stops["heard"], stops["silenced_ms"]
    lines += [f"**\"stop\" over its own voice** (a step being read or a breathing break, {len(heard)} tries, "
              f"voices {', '.join(VOICES)}): heard {sum(heard)}/{len(heard)} ({100 * sum(heard) / len(heard):.0f}%, "
              "goal 95%)."]
    if ms:
        lines.append(f"End of the word to the playback silenced (the mixer stopped, plus the output latency): "
                     f"median {statistics.median(ms):.0f} ms, p95 {percentile(ms, 95):.0f} ms (goal under 300 ms).")
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
