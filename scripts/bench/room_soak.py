"""Room soak: an evening with the coach left listening (issue 25), in the room rig (room.py's: its
speaker looped back into its microphone at -6 dB, 40 ms, pink room noise; `assistant listen` with its
defaults in a process of its own, read back from its `--events`).

The evening, repeated until the time is up: long silences; a couple's chatter
(tests/data/room_chatter.tsv); requests out of the blue (tests/data/room_requests.tsv, controls,
time-outs, safety and goodbyes left out), each cut short with "stop"; breathing breaks stopped and
finished; steps walked ("tell me about step N", then "next", then "stop"); a one-minute time-out
("give us one minute apart", "how much longer", the call back); danger ("he hit me", answered with
the safety reply). Every turn is checked against what was asked (the intent in its events line).
Throughout: resident memory and CPU of its process tree every 30 s; the echo cancellers' figures
from the events' `"echo"` lines (every 10 minutes); "stop" heard per half hour; end of speech to
first sound (voice.py's first_sound) in the first and the last half hour.

Faults, spread over the middle of the evening, each followed by a request that must be answered
(the time to it is from the fault's end): the PocketSphinx decoder process killed (kill -9); the
sound server restarted on the same socket (a line typed on its standard input while it is down must
be answered); the output device (the "spk" null sink) and the microphone ("mic") removed and
returned, the streams moved back as a desktop's sound settings do; its playback and capture streams
killed by the server; the disk holding --events and --transcript full (a tmpfs mounted for the run,
filled with a file, then emptied); both cores saturated for 30 s; at the end SIGTERM (gone within
2 s, every events line whole). A one-minute time-out runs across each fault and must still call.
The "slower" said at the start must still hold at the end (the help reply's spoken length).

Alone: .venv/bin/python scripts/bench/room_soak.py --minutes N [--faults a,b] [--out FILE.md]
[--samples FILE.jsonl]. The markdown goes to stdout and --out (written at the end); the raw samples
(memory, requests, stops, faults, echo) to --samples as they come."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as scripts/bench/room_soak.py: import it as part of the bench package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "bench"
    import bench  # noqa: F401,E402  (puts scripts/ and the checkout on sys.path)

import numpy as np  # noqa: E402
from evaluate import read_tsv  # noqa: E402

from . import ROOT  # noqa: E402
from .common import Run, null_sinks, percentile, progress_printer  # noqa: E402
from .idle import _cpu_rss, _tree  # noqa: E402
from .room import VOICES as TALKERS  # noqa: E402
from .room_session import WALL, Person, Session, SpeakerLevel  # noqa: E402
from .voice import first_sound  # noqa: E402

DATA = ROOT / "tests" / "data"
VOICES = ("joe", "joe-loose", "joe-slow", "joe-quick")
ASKING = ("joe", "joe-loose", "joe-slow")  # a request not acted on as asked is said again in the next
LEFT_OUT = ("stop", "next", "previous", "repeat", "resume", "slower", "faster", "yes", "no", "goodbye",
            "timer_status", "time_out", "safety", "distress")
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
FAULTS = ("decoder", "pulse", "speaker", "microphone", "playback", "capture", "disk", "cpu")
HALF_HOUR = 1800.0


class SoakSession(Session):
    """A Session whose events are read incrementally (hours of them, polled every 20 ms), whole lines
    only; a line that is not JSON is kept aside (`bad`): none may be."""

    def __init__(self, *args, **kwargs) -> None:
        self._events, self._turns, self._offset, self.bad = [], [], 0, []
        super().__init__(*args, **kwargs)

    def events(self) -> list[dict]:
        try:
            with open(self.events_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return self._events
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            if line.strip():
                try:
                    event = json.loads(line)
                except ValueError:
                    self.bad.append(line[:300].decode(errors="replace"))
                    continue
                self._events.append(event)
                if "turn" in event:
                    self._turns.append(event)
        self._offset += end
        return self._events

    def turns(self) -> list[dict]:
        self.events()
        return self._turns


class Rig:
    """The room: server, echo path and noise, the person, the level meter on its speaker."""

    def __init__(self, server) -> None:
        from tests.pulse import Room

        self.server = server
        self.room, self.person, self.speaker = Room(server), Person(), SpeakerLevel()

    def rebuild(self) -> None:
        """After a server restart every stream of the rig ended: open them again."""
        from tests.pulse import Room

        for part in (self.speaker, self.person, self.room):
            try:
                part.close()
            except Exception:  # noqa: BLE001 - its stream died with the server
                pass
        self.room, self.person, self.speaker = Room(self.server), Person(), SpeakerLevel()
        self.pin()

    def pin(self) -> None:
        """The rig's own streams where they belong: its noise and its person into the microphone sink,
        its level meter on the speaker's monitor. (Streams opened again after a server restart were
        seen on the default sink, so the meter heard the room's noise and waited for a quiet that
        never came.)"""
        playing, recording = self.server.streams_of(os.getpid())
        for stream in playing:
            self.server.pactl("move-sink-input", stream, "mic")
        for stream in recording:
            self.server.pactl("move-source-output", stream, "spk.monitor")

    def close(self) -> None:
        for part in (self.speaker, self.person, self.room):
            try:
                part.close()
            except Exception:  # noqa: BLE001
                pass


class Evening:
    def __init__(self, minutes: float, folder: Path, samples: Path, progress, faults: tuple[str, ...], seed: int = 25):
        self.minutes, self.folder, self.progress, self.faults = minutes, folder, progress, list(faults)
        self.samples = open(samples, "a", buffering=1)
        self.rng = np.random.default_rng(seed)
        self.chatter = read_tsv(DATA / "room_chatter.tsv")
        self.asks = [r for r in read_tsv(DATA / "room_requests.tsv") if r["intent"] not in LEFT_OUT]
        self.n_chat = self.n_ask = self.n_step = 0
        self.log: dict[str, list] = {k: [] for k in ("request", "stop", "memory", "fault", "activity", "unasked")}
        self.t0 = time.time()
        self.disk: Path | None = None
        self.notes: list[str] = []
        self.events: list[dict] = []  # all it wrote, read back at the end
        self.rates: dict = {}

    # -- records -------------------------------------------------------------------------------
    def record(self, kind: str, **rec) -> dict:
        rec = {"kind": kind, "t": round(time.time() - self.t0, 1), **rec}
        self.samples.write(json.dumps(rec) + "\n")
        self.log.setdefault(kind, []).append(rec)
        return rec

    def sampler(self, stop: threading.Event) -> None:
        while not stop.wait(30.0):
            proc = self.session.proc
            if proc.poll() is not None:
                continue
            tree = _tree(proc.pid)
            cpu, rss = _cpu_rss(tree)
            self.record("memory", rss_mb=round(rss, 1), main_mb=round(_cpu_rss([proc.pid])[1], 1),
                        cpu_s=round(cpu, 1), processes=len(tree), pid=proc.pid, load1=round(os.getloadavg()[0], 2))

    # -- the parts of a turn ----------------------------------------------------------------------
    def quiet(self, quiet: float = 3.0, timeout: float = 150.0) -> None:
        self.rig.speaker.wait_quiet(quiet=quiet, timeout=timeout)

    def ask(self, text: str, want: str, slots: dict | None = None, tries: int = 3, what: str = "request",
            stdout_prefix: str | None = None) -> dict:
        """Say `text` until acted on as `want` (with `slots`), in up to `tries` voices; each try recorded.
        `stdout_prefix`: judged from the reply it prints instead (a line holding it) (its events are not being written)."""
        for k, voice in enumerate(ASKING[:tries]):
            self.session.ensure_running()
            before, printed = len(self.session.turns()), self._stdout_size()
            ended = self.rig.person.say(text, voice) - WALL
            sound = first_sound(self.rig.speaker, ended, 6.0)
            if stdout_prefix is None:
                turn = self.session.wait_turn(before, 6.0)
                got = turn and turn["intent"]
                ok = got == want and all((turn.get("slots") or {}).get(key) == v for key, v in (slots or {}).items())
                heard = turn and turn["transcript"]
                answered_at = turn["time"] if turn else None
            else:
                got = heard = self._printed_since(printed, stdout_prefix, 6.0)
                ok = got is not None and stdout_prefix in got
                answered_at = time.time()
            rec = self.record("request", what=what, said=text, want=want, got=got, heard=heard, voice=voice, attempt=k + 1,
                              ok=ok, spoken=sound is not None, answered_at=answered_at,
                              latency_ms=round((sound - ended) * 1000) if ok and sound is not None else None)
            if ok:
                return rec
            self.quiet(timeout=60)
        return rec

    def _stdout_size(self) -> int:
        return self.session.stdout.stat().st_size if self.session.stdout.exists() else 0

    def _printed_since(self, offset: int, prefix: str, timeout: float) -> str | None:
        deadline, lines = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            with open(self.session.stdout, "rb") as f:
                f.seek(offset)
                lines = f.read().decode(errors="replace").splitlines()
            if any(prefix in line for line in lines):  # a reminder may come first ("Remember, your safety...")
                return next(line for line in lines if prefix in line)
            time.sleep(0.1)
        return lines[0] if lines else None

    def stop_over(self, what: str) -> None:
        """"stop" said 2.5-6 s into whatever it is saying; heard, and how soon it fell silent."""
        time.sleep(float(self.rng.uniform(2.5, 6.0)))
        if not self.rig.speaker.sounding():
            self.quiet()
            return
        before = len(self.session.turns())
        word_end = self.rig.person.say("stop", VOICES[len(self.log["stop"]) % len(VOICES)])
        turn = self.session.wait_turn(before, 4.0, "stop")
        self.record("stop", over=what, heard=turn is not None,
                    silenced_ms=round((turn["silenced_at"] - word_end) * 1000) if turn and "silenced_at" in turn else None)
        for voice in ASKING if turn is None else ():  # as a person would: again, until it stops
            if not self.rig.speaker.sounding():
                break
            before = len(self.session.turns())
            self.rig.person.say("please stop", voice)
            if self.session.wait_turn(before, 4.0, "stop"):
                break
        self.quiet()

    def unasked(self, since: int, during: str) -> None:
        """Turns it took while nobody asked it anything (silence, chatter)."""
        for turn in self.session.turns()[since:]:
            self.record("unasked", during=during, heard=turn["transcript"], intent=turn["intent"])

    # -- the evening's activities ----------------------------------------------------------------------
    def silence(self) -> None:
        seconds = float(self.rng.uniform(60, 240) if self.minutes >= 60 else self.rng.uniform(20, 45))
        before = len(self.session.turns())
        time.sleep(seconds)
        self.unasked(before, "silence")
        self.record("activity", what="silence", seconds=round(seconds))

    def talk(self) -> None:
        before = len(self.session.turns())
        for _ in range(8):
            row = self.chatter[self.n_chat % len(self.chatter)]
            self.rig.person.say(row["text"], TALKERS[self.n_chat % len(TALKERS)])
            self.n_chat += 1
            time.sleep(1.8)
        self.quiet(timeout=120)
        self.unasked(before, "chatter")
        self.record("activity", what="chatter", lines=8)

    def requests(self, n: int = 2) -> None:
        for _ in range(n):
            row = self.asks[self.n_ask % len(self.asks)]
            self.n_ask += 1
            self.quiet()
            time.sleep(9.0)  # out of the blue: past the follow-up window
            rec = self.ask(row["text"], row["intent"], json.loads(row["slots"] or "{}"))
            if rec["ok"]:
                self.stop_over(row["intent"])

    def breathing(self, finish: bool) -> None:
        self.quiet()
        rec = self.ask("i need a break", "take_break", what="breathing")
        if not rec["ok"]:
            return
        if not finish:
            self.stop_over("breathing")
            return
        started = time.monotonic()
        self.quiet(quiet=6.0, timeout=180)
        self.record("activity", what="breathing finished", seconds=round(time.monotonic() - started))

    def steps(self) -> None:
        self.quiet()
        n = 2 + self.n_step % 10
        self.n_step += 1
        rec = self.ask(f"tell me about step {NUMBERS[n - 1]}", "explain_step", {"step": n}, what="step")
        if not rec["ok"]:
            return
        self.quiet(quiet=2.0, timeout=150)  # to its end, and its offer of the next step
        rec = self.ask("next step please", "next", tries=2, what="next")
        if rec["ok"]:
            self.stop_over("next step")

    def time_out(self, during: str = "") -> dict:
        """Starts a one-minute time-out; `during` a fault, returns at once (check_call later)."""
        self.quiet()
        rec = self.ask("give us one minute apart", "time_out", {"minutes": 1}, what="time-out")
        if not rec["ok"] or during:
            return rec
        time.sleep(10.0)
        self.ask("how much longer", "timer_status", tries=2, what="how much longer")
        self.check_call(time.time() - 15.0, "evening")
        return rec

    def check_call(self, since: float, during: str) -> bool:
        """The time-out started at `since` calls them back (its "time-out due" event) within 100 s."""
        deadline = time.monotonic() + max(5.0, since + 100 - time.time())
        due = None
        while due is None and time.monotonic() < deadline:
            due = next((e for e in self.session.events() if e.get("event") == "time-out due" and e["time"] > since), None)
            time.sleep(0.5)
        self.record("activity", what="time-out call", during=during, called=due is not None,
                    late_s=round(due["fired_at"] - due["scheduled_at"], 2) if due else None)
        self.quiet(quiet=4.0, timeout=150)
        if self.rig.speaker.sounding():
            self.stop_over("return prompt")
        return due is not None

    def danger(self) -> None:
        self.quiet()
        time.sleep(9.0)
        self.ask("he hit me", "safety", what="danger")
        self.quiet(timeout=120)

    def help_length(self) -> float | None:
        """How long the help reply sounds (the speaking rate, a setting that must outlive the faults)."""
        for _ in range(2):
            self.quiet()
            rec = self.ask("what can i say", "help", what="help")
            if rec["ok"] and rec["spoken"]:
                break
        else:
            return None
        first = time.perf_counter() - 0.5
        self.quiet(quiet=2.0, timeout=60)
        return round(self.rig.speaker.last_sound - first, 2)

    # -- the whole evening ---------------------------------------------------------------------------
    def run(self) -> dict:
        folder = self.folder
        self.disk = mount_disk(folder / "disk", self.notes)
        try:
            self._run(folder, self.disk or folder)
        finally:
            unmount_disk(self.disk, folder)
            self.samples.close()
        return {"minutes": (time.time() - self.t0) / 60}

    def _run(self, folder: Path, logs: Path) -> None:
        self.progress(f"room soak: {self.minutes:g} minutes; events, stderr and replies in {folder}")
        with null_sinks("bench-soak-", "mic", "spk") as server:
            server.pactl("set-default-sink", "spk")
            server.pactl("set-default-source", "mic.monitor")
            self.server, self.rig = server, Rig(server)
            # its intents and content from a copy taken now: an edit to the checkout during the evening
            # would be reloaded by it (the soak of 2026-12-08 was, several times)
            data = {name: shutil.copytree(ROOT / name, folder / name) for name in ("intents", "content")}
            self.session = SoakSession(server, folder, "soak", self.rig.speaker, "--intents", str(data["intents"]),
                                       "--content", str(data["content"]), "--transcript",
                                       str(logs / "transcript.txt"), events=logs / "events.jsonl",
                                       stdout=folder / "stdout.txt", typing=True)
            self.pid0 = self.session.proc.pid
            stop = threading.Event()
            threading.Thread(target=self.sampler, args=(stop,), daemon=True).start()
            try:
                self.rates = {"normal": self.help_length()}
                self.ask("please go slower", "slower", tries=2, what="slower")
                self.rates["slower"] = self.help_length()
                self._evening()
                self.rates["at the end"] = self.help_length()
                self.sigterm = sigterm(self)
            finally:
                stop.set()
                if self.session.proc.poll() is None:
                    self.session.close()
                self.rig.close()
                self.events = list(self.session.events())

    def _evening(self) -> None:
        activities = [self.silence, self.talk, self.requests, lambda: self.breathing(False), self.steps,
                      self.silence, self.talk, self.time_out, self.requests, lambda: self.breathing(True),
                      self.danger]
        end = self.t0 + self.minutes * 60
        pending = list(self.faults)
        first, last = 0.3 * self.minutes * 60, 0.7 * self.minutes * 60
        due = [self.t0 + first + (last - first) * k / max(1, len(pending) - 1) for k in range(len(pending))]
        k = 0
        while time.time() < end or pending:
            if pending and time.time() >= due[0]:
                name = pending.pop(0)
                due.pop(0)
                self.progress(f"room soak: fault {name} at {(time.time() - self.t0) / 60:.1f} min")
                INJECT[name](self)
                continue
            if time.time() >= end:
                time.sleep(max(0.0, due[0] - time.time()))  # only faults left (a short run)
                continue
            activity = activities[k % len(activities)]
            k += 1
            activity()
            if k % len(activities) == 0:
                self.progress(f"room soak: {(time.time() - self.t0) / 60:.1f} min, "
                              f"{sum(r['ok'] for r in self.log['request'])} requests answered")

# -- faults ------------------------------------------------------------------------------------------
def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _decoders(ev: Evening) -> list[int]:
    return [p for p in _tree(ev.session.proc.pid) if b"assistant.hearing.decoder_process" in _cmdline(p)]


def _fault(ev: Evening, name: str, inject, restore=None, hold: float = 0.0, time_out: bool = True, **extra) -> dict:
    """Inject a fault (a one-minute time-out running across it), hold it, end it; then a request until
    it is answered right (3 minutes at most); the time-out must still call."""
    pid, started = ev.session.proc.pid, None
    if time_out:
        started = time.time() if ev.time_out(during=name)["ok"] else None
    seen = len(ev.session.events())
    at = time.time()
    info = inject() or {}
    time.sleep(max(0.0, at + hold - time.time()))
    if restore is not None:
        restore(info)
    back, answered, attempts, rec = time.time(), None, 0, {}
    while time.time() - back < 180:
        attempts += 1
        ev.quiet(timeout=30)
        rec = ev.ask("tell me about step five", "explain_step", {"step": 5}, tries=1, what=f"after {name}")
        if rec["ok"]:
            answered = rec.get("answered_at", time.time())
            ev.stop_over(f"after {name}")
            break
        ev.quiet(timeout=30)
        time.sleep(3.0)
    kept = ev.check_call(started, name) if started else None
    happened = [e["event"] for e in ev.session.events()[seen:] if e.get("event") not in (None, "echo")]
    return ev.record("fault", name=name, recovered=answered is not None, held_s=round(back - at, 1),
                     to_answer_s=round(answered - back, 1) if answered else None, attempts=attempts,
                     spoken=rec.get("spoken"), time_out_kept=kept, same_process=ev.session.proc.pid == pid,
                     events=happened[:12], **{k: v for k, v in info.items() if k != "there"}, **extra)


def fault_decoder(ev: Evening) -> dict:
    def inject() -> dict:
        pids = _decoders(ev)
        for p in pids:
            os.kill(p, signal.SIGKILL)
        return {"killed": pids}

    rec = _fault(ev, "decoder", inject)
    rec["new_decoder"] = bool(_decoders(ev))
    return rec


def fault_pulse(ev: Evening) -> dict:
    def inject() -> dict:
        ev.server.stop()
        time.sleep(3.0)
        before = len(ev.session.turns())
        typed_at = time.time()
        ev.session.type("what can i say")  # the microphone is gone: typing still works
        turn = ev.session.wait_turn(before, 8.0)
        ok = bool(turn and turn.get("typed") and turn["intent"] == "help")
        return {"typed_answered": ok, "typed_s": round(turn["time"] - typed_at, 2) if turn else None}

    def restore(info: dict) -> None:
        ev.server.start()
        ev.rig.rebuild()
        ev.session.speaker = ev.rig.speaker

    return _fault(ev, "pulse", inject, restore, hold=10.0)


def fault_sink(ev: Evening, sink: str, name: str) -> dict:
    def restore(info: dict) -> None:
        ev.server.return_sink(sink, info["there"])
        ev.rig.room.reconnect()
        ev.rig.pin()

    return _fault(ev, name, lambda: {"there": ev.server.remove_sink(sink)}, restore, hold=15.0)


def fault_stream(ev: Evening, which: int, name: str) -> dict:
    def inject() -> dict:
        streams = ev.server.streams_of(ev.session.proc.pid)[which]
        for stream in streams:
            ev.server.pactl("kill-sink-input" if which == 0 else "kill-source-output", stream)
        return {"killed": streams}

    return _fault(ev, name, inject, hold=2.0)


def fault_disk(ev: Evening) -> dict:
    """The disk under --events and --transcript fills: the request is judged from what it prints; then
    the disk is emptied and the logs must write on, with no half line anywhere."""
    if ev.disk is None:
        return ev.record("fault", name="disk", skipped="no small disk could be mounted (see the notes)")
    fill = ev.disk / "fill"
    ev.quiet()
    with open(fill, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    filled = time.time()
    rec = {}
    for _ in range(3):
        rec = ev.ask("tell me about step five", "explain_step", tries=1, what="disk full", stdout_prefix="Step five.")
        if rec["ok"]:
            ev.stop_over("disk full")
            break
    answered = rec.get("answered_at") if rec.get("ok") else None
    fill.unlink()
    freed, resumed = time.time(), None
    while resumed is None and time.time() - freed < 150:
        ev.quiet()
        ev.ask("what can i say", "help", tries=1, what="disk freed")
        resumed = next((e for e in ev.session.events() if e.get("event") == "log resumed" and e["time"] > freed), None)
    transcript = (ev.disk / "transcript.txt").read_text(errors="replace")
    return ev.record("fault", name="disk", recovered=answered is not None,
                     to_answer_s=round(answered - filled, 1) if answered else None, spoken=rec.get("spoken"),
                     log_resumed_s=round(resumed["time"] - freed, 1) if resumed else None,
                     lines_lost=resumed["lost"] if resumed else None, bad_event_lines=len(ev.session.bad),
                     transcript_whole=all(line.startswith(("you: ", "assistant: ")) for line in transcript.splitlines())
                     and transcript.endswith("\n"))


def fault_cpu(ev: Evening) -> dict:
    def inject() -> dict:
        started = time.time()
        hogs = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(2)]
        time.sleep(10.0)
        rec = ev.ask("tell me about step six", "explain_step", {"step": 6}, tries=1, what="under load")
        if rec["ok"]:
            ev.stop_over("under load")
        time.sleep(max(0.0, 30.0 - (time.time() - started)))
        for hog in hogs:
            hog.kill()
            hog.wait()
        return {"under_load_answered": rec["ok"], "under_load_ms": rec.get("latency_ms")}

    return _fault(ev, "cpu", inject)


def sigterm(ev: Evening) -> dict:
    """SIGTERM while it reads a step: gone within 2 s, the last events line whole (its session line)."""
    ev.quiet()
    ev.ask("tell me about step two", "explain_step", {"step": 2}, what="before sigterm")
    time.sleep(2.0)
    proc = ev.session.proc
    t = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = None
    seconds = time.monotonic() - t
    raw = ev.session.events_path.read_bytes()
    try:
        last = json.loads(raw.splitlines()[-1])
    except (ValueError, IndexError):
        last = None
    transcript = Path(ev.session.args[ev.session.args.index("--transcript") + 1]).read_bytes()
    return ev.record("fault", name="sigterm", exit_s=round(seconds, 2), code=code, recovered=code == 0 and seconds < 2.0,
                     last_line_whole=raw.endswith(b"\n") and last is not None,
                     last_event=(last or {}).get("event"), transcript_whole=transcript.endswith(b"\n"))


INJECT = {"decoder": fault_decoder, "pulse": fault_pulse,
          "speaker": lambda ev: fault_sink(ev, "spk", "speaker"), "microphone": lambda ev: fault_sink(ev, "mic", "microphone"),
          "playback": lambda ev: fault_stream(ev, 0, "playback"), "capture": lambda ev: fault_stream(ev, 1, "capture"),
          "disk": fault_disk, "cpu": fault_cpu}


def mount_disk(path: Path, notes: list[str]) -> Path | None:
    """A small disk of its own for --events and --transcript (tmpfs, 16 MB: an evening's logs fit, and a
    file fills it in a moment); None, with a note, when mounting is not allowed here."""
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode:
        notes.append(f"mount -t tmpfs refused ({done.stderr.strip() or done.returncode}): the logs were on the "
                     "real disk and the disk-full fault was skipped")
        return None
    return path


def unmount_disk(disk: Path | None, folder: Path) -> None:
    if disk is None:
        return
    for name in ("events.jsonl", "transcript.txt"):
        if (disk / name).exists():
            shutil.copy2(disk / name, folder / name)
    subprocess.run(["umount", str(disk)], capture_output=True)


# -- the report --------------------------------------------------------------------------------------
def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope, per hour, of (seconds, value) points."""
    if len(points) < 3:
        return None
    t, v = np.array(points).T
    return float(np.polyfit(t / 3600.0, v, 1)[0])


def _stats(values: list[float]) -> str:
    return (f"{statistics.median(values):.0f} / {percentile(values, 95):.0f} ({len(values)})" if values else "- (0)")


def _erle(events: list[dict], bins: float) -> list[tuple[int, dict]]:
    """Echo return loss enhancement per `bins` seconds of the session, from its periodic "echo" lines."""
    lines = [e for e in events if e.get("event") == "echo" and "energy" in e]
    if not lines:
        return []
    start = events[0]["time"] if events else 0
    out: dict[int, dict] = {}
    prev = {k: 0.0 for k in lines[0]["energy"]}
    for e in lines:
        b = int((e["time"] - start) // bins)
        acc = out.setdefault(b, {k: 0.0 for k in prev})
        for k, v in e["energy"].items():
            acc[k] += v - prev.get(k, 0.0)
        prev = dict(e["energy"])
    return [(b, {k: round(10 * np.log10(acc["in"] / v), 1) if v > 0 and acc["in"] > 0 else None
                 for k, v in acc.items() if k != "in"}) for b, acc in sorted(out.items())]


def report(ev: Evening) -> list[str]:
    total = (time.time() - ev.t0)
    log = ev.log
    lines = ["## Room soak: an evening of listening", "",
             f"`assistant listen` with its defaults in the room rig (its speaker looped back into its microphone at "
             f"-6 dB, 40 ms, pink room noise), left listening {total / 60:.0f} minutes through a scripted evening: "
             "silences, a couple's chatter, requests out of the blue, breathing breaks stopped and finished, steps "
             "walked, one-minute time-outs, danger; faults in the middle. Raw samples: "
             f"`{ev.samples.name}`; its events, stderr and replies: `{ev.folder}`.", ""]
    mem = log["memory"]
    warm = min(900.0, 0.2 * total)
    after = [m for m in mem if m["t"] >= warm]
    tree, main = _slope([(m["t"], m["rss_mb"]) for m in after]), _slope([(m["t"], m["main_mb"]) for m in after])
    if mem:
        lines += [f"**Memory** (resident, its whole process tree, every 30 s; {len(mem)} samples): "
                  f"{mem[0]['rss_mb']:.0f} MB at first, {max(m['rss_mb'] for m in mem):.0f} MB at most, "
                  f"{mem[-1]['rss_mb']:.0f} MB at the end. Growth after the first {warm / 60:.0f} minutes "
                  f"(least-squares slope): **{tree:+.1f} MB/h** for the tree, {main:+.1f} MB/h for its main process "
                  "(goal under 5 MB/h)." if tree is not None and main is not None else
                  f"**Memory**: {len(mem)} samples, too few after warm-up for a slope.", ""]
    asks = log["request"]
    firsts = [r for r in asks if r["attempt"] == 1]
    right = [r for r in asks if r["ok"]]
    lines += [f"**Requests**: {len(firsts)} asked, **{len(right)} answered as asked** "
              f"({sum(r['ok'] for r in firsts)} at the first try; the others said again in another voice, up to "
              f"three times); goal: all."]
    missed = [r for r in firsts if not any(x["ok"] and x["said"] == r["said"] and x["t"] >= r["t"] and x["t"] - r["t"] < 60
                                           for x in asks)]
    if missed:
        lines.append("Not answered as asked: " + "; ".join(
            f"\"{r['said']}\" ({r['what']}) -> {r['got']} (heard \"{r['heard']}\")" for r in missed[:12]) + ".")
    window = min(HALF_HOUR, total / 3)
    timed = [r for r in right if r.get("latency_ms") is not None]
    first = [r["latency_ms"] for r in timed if r["t"] < window]
    last = [r["latency_ms"] for r in timed if r["t"] > total - window]
    lines += ["", f"**End of speech to first sound** (requests answered as asked, median / p95 ms (n)): first "
              f"{window / 60:.0f} minutes {_stats(first)}; last {window / 60:.0f} minutes {_stats(last)}."]
    loads = [(m["t"], m["load1"]) for m in mem if "load1" in m]
    if loads:
        early = [v for t, v in loads if t < window]
        late = [v for t, v in loads if t > total - window]
        lines += [f"Load average (1 min) on the machine, median: first {window / 60:.0f} minutes "
                  f"{statistics.median(early) if early else '-'}, last {statistics.median(late) if late else '-'} "
                  "(other work on the machine slows these timings)."]
    lines += [""]
    stops = log["stop"]
    if stops:
        rows = {}
        for s in stops:
            rows.setdefault(int(s["t"] // HALF_HOUR), []).append(s)
        lines += ["| half hour | \"stop\" heard | silenced after the word, median ms | ERLE WebRTC / speex dB |",
                  "|---|---:|---:|---|"]
        erle = dict(_erle(ev.events, HALF_HOUR))
        for b in sorted(set(rows) | set(erle)):
            got = rows.get(b, [])
            ms = [s["silenced_ms"] for s in got if s["silenced_ms"] is not None]
            e = erle.get(b, {})
            lines.append(f"| {b + 1} | {sum(s['heard'] for s in got)}/{len(got)} | "
                         f"{statistics.median(ms) if ms else '-'} | {e.get('webrtc', '-')} / {e.get('speex', '-')} |")
        lines.append("")
    session = [e for e in ev.events if e.get("event") == "session"]
    if session and session[-1].get("echo"):
        lines += [f"Whole session (its summary line): ERLE {session[-1]['echo']['erle_db']}, cancellers' CPU ms per s "
                  f"{session[-1]['echo']['cpu_ms_per_s']}, playback ran dry {session[-1].get('underruns')} times, "
                  f"microphone blocks dropped {session[-1].get('dropped')}.", ""]
    unasked = log["unasked"]
    acts = [a for a in log["activity"]]
    called = [a for a in acts if a["what"] == "time-out call"]
    lines += [f"**Unasked**: {len(unasked)} turns taken in silences and chatter "
              f"({sum(a['what'] == 'chatter' for a in acts) * 8} lines of chatter)"
              + (": " + "; ".join(f"\"{u['heard']}\" -> {u['intent']}" for u in unasked[:15]) if unasked else "") + ".",
              f"Breathing breaks played to the end: {sum(a['what'] == 'breathing finished' for a in acts)}. "
              f"Time-outs that called back: {sum(a['called'] for a in called)}/{len(called)}"
              + (f" (late by at most {max(a['late_s'] for a in called if a['late_s'] is not None):.2f} s)"
                 if any(a["late_s"] is not None for a in called) else "") + ".",
              "The help reply's spoken length (the speaking rate, a setting that must outlive the faults): "
              + ", ".join(f"{k} {v} s" for k, v in ev.rates.items()) + ".", ""]
    faults = [f for f in log["fault"]]
    if faults:
        lines += ["| fault | recovered | to the next answered request | notes |", "|---|---|---:|---|"]
        for f in faults:
            notes = {k: v for k, v in f.items() if k not in ("kind", "t", "name", "recovered", "to_answer_s")}
            to = f.get("to_answer_s")
            lines.append(f"| {f['name']} | {'yes' if f.get('recovered') else 'no'} | {'-' if to is None else f'{to:.1f} s'} "
                         f"| {json.dumps(notes)[:400]} |")
        lines.append("")
    counts = {}
    for e in ev.events:
        if e.get("event") not in (None, "echo"):
            counts[e["event"]] = counts.get(e["event"], 0) + 1
    lines += [f"Events lines: {len(ev.events)}, not whole JSON: **{len(getattr(getattr(ev, 'session', None), 'bad', []))}**; events: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f". Restarts (a goodbye heard): "
              f"{getattr(getattr(ev, 'session', None), 'restarts', 0)}."]
    lines += [f"Note: {n}" for n in ev.notes] + [""]
    return lines


def section(run: Run) -> list[str]:
    minutes = run.minutes or (10 if run.quick else 120)
    folder = Path(tempfile.mkdtemp(prefix="room-soak-"))
    evening = Evening(minutes, folder, folder / "samples.jsonl", run.progress, FAULTS)
    evening.run()
    return report(evening)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=120.0, help="length of the evening (default: %(default)s)")
    p.add_argument("--faults", default=",".join(FAULTS), help=f"faults to inject, in order (default: all: {','.join(FAULTS)}; 'none')")
    p.add_argument("--out", type=Path, default=Path("/tmp/room_soak.md"), help="the markdown, written at the end")
    p.add_argument("--samples", type=Path, default=Path("/tmp/room_soak-samples.jsonl"), help="raw samples, as they come")
    p.add_argument("--seed", type=int, default=25)
    args = p.parse_args()
    faults = () if args.faults == "none" else tuple(f for f in args.faults.split(",") if f)
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        p.error(f"unknown faults {unknown}; choose from {', '.join(FAULTS)}")
    folder = Path(tempfile.mkdtemp(prefix="room-soak-"))
    evening = Evening(args.minutes, folder, args.samples, progress_printer(), faults, args.seed)
    try:
        evening.run()
    finally:
        lines = report(evening)
        args.out.write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
