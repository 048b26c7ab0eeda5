"""Idle: what listening costs while nobody speaks to it and nothing plays. `assistant listen` in the
room rig (room.py's: pink room noise in its microphone, its speaker looped back), in a process of
its own, for a minute per setting after its greeting: its process tree's CPU time (every child
too: the PocketSphinx decoder process) over wall time, as a share of one core; its resident memory
(the whole tree); and, from its `--events` session summary, the echo cancellers' own CPU."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from .common import Run, null_sinks
from .room_session import Session, SpeakerLevel

SETTINGS = {
    "defaults (WebRTC canceller, no wake word)": (),
    "--echo-cancel off": ("--echo-cancel", "off"),
    "--wake-word okay_nabu": ("--wake-word", "okay_nabu"),
}


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _cpu_rss(pids: list[int]) -> tuple[float, float]:
    """(CPU seconds, resident MB) summed over `pids`."""
    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    cpu = rss = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            rss += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page / 2**20
        except (OSError, IndexError, ValueError):
            pass
    return cpu, rss


def measure(server, folder: Path, speaker: SpeakerLevel, name: str, extra: tuple, seconds: float) -> dict:
    session = Session(server, folder, name, speaker, *extra)
    # Past its greeting and the replies' openings it renders ahead at start (speaker.warm(): a quarter of
    # a core at most, so a 25% bar let the measurement start while it still rendered): two 5 s windows in
    # a row under 15% of a core, or 4 minutes.
    settle, calm = time.monotonic() + 240, 0
    while time.monotonic() < settle and calm < 2:
        c0, _ = _cpu_rss(_tree(session.proc.pid))
        time.sleep(5.0)
        calm = calm + 1 if (_cpu_rss(_tree(session.proc.pid))[0] - c0) / 5.0 < 0.15 else 0
    pids = _tree(session.proc.pid)
    cpu0, _ = _cpu_rss(pids)
    t0 = time.monotonic()
    rss_max = 0.0
    while time.monotonic() - t0 < seconds:
        time.sleep(1.0)
        rss_max = max(rss_max, _cpu_rss(_tree(session.proc.pid))[1])
    cpu1, _ = _cpu_rss(_tree(session.proc.pid))
    wall = time.monotonic() - t0
    summary = session.close()
    echo = (summary[-1].get("echo") or {}).get("cpu_ms_per_s", {}) if summary else {}
    turns = len(session.turns())
    return {"share": (cpu1 - cpu0) / wall, "rss": rss_max, "echo": echo, "turns": turns, "seconds": wall}


def section(run: Run) -> list[str]:
    from tests.pulse import Room

    seconds = 20 if run.quick else 60
    folder = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    results = {}
    with null_sinks("bench-idle-", "mic", "spk") as server:
        server.pactl("set-default-sink", "spk")
        server.pactl("set-default-source", "mic.monitor")
        room, speaker = Room(server), SpeakerLevel()
        try:
            for k, (label, extra) in enumerate(SETTINGS.items()):
                run.progress(f"idle: {label}, {seconds} s of room noise")
                results[label] = measure(server, folder, speaker, f"idle{k}", extra, seconds)
        finally:
            speaker.close()
            room.close()
    lines = ["## Idle: listening to an empty room", "",
             f"`assistant listen` in the room rig (pink room noise in its microphone, nobody speaking, nothing "
             f"playing), {seconds} s per setting once start-up work is over (its greeting, the openings of replies "
             "it renders ahead: two 5 s windows in a row under 15% of a core); CPU of its whole process tree (decoder process "
             "included) over wall time, as a share of one core; resident memory of the tree; the cancellers' own CPU "
             "from its session summary; turns it took in the noise (should be none).", "",
             "| setting | share of one core | RSS MB | echo cancellers ms per s | turns in the noise |",
             "|---|---:|---:|---|---:|"]
    for label, r in results.items():
        echo = ", ".join(f"{k} {v:g}" for k, v in r["echo"].items()) or "-"
        lines.append(f"| {label} | **{r['share']:.1%}** | {r['rss']:.0f} | {echo} | {r['turns']} |")
    lines += ["", "Goal: 10% of one core or less with the defaults.", ""]
    return lines
