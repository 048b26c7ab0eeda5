"""What every benchmark section shares: the machine line, percentiles, timing, the
run's context (`Run`, handed to every section) and a private PulseAudio server for the live ones."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from evaluate import OOS, read_tsv


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def time_queries(fn, queries: list[str], repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t) * 1000)
    return times


def progress_printer() -> Callable[[str], None]:
    """A progress callback: the message on stderr, after the seconds since it was made."""
    started = time.time()

    def progress(msg: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return progress


def oos_rows() -> list[dict]:
    """Every CLINC150 out-of-scope row, with its 0-based position in the file as "row"."""
    rows = read_tsv(OOS)
    for i, r in enumerate(rows):
        r["row"] = i
    return rows


@dataclass
class Run:
    """One benchmark run, as every section sees it."""

    app: object  # assistant.app.Assistant, built once for the whole run
    quick: bool
    out: Path  # the BENCHMARKS.md being written (read first by the soak section)
    command: str  # as shown in the file, e.g. "scripts/bench --quick"
    progress: Callable[[str], None]
    load_s: float  # seconds build() took
    shared: dict = field(default_factory=dict)  # figures a section leaves for a later one (voice -> plot)
    minutes: float | None = None  # the room soak's length (--minutes); None: 120, 10 with --quick

    @cached_property
    def oos(self) -> list[dict]:
        """CLINC150 out-of-scope rows held out from training: the odd rows (the safety net trains on the
        even ones), every 2nd of them with --quick (the same spread, half the time). Each keeps its
        0-based position in the file as "row"."""
        rows = oos_rows()
        return rows[1::4] if self.quick else rows[1::2]

    @property
    def oos_label(self) -> str:
        return "odd rows, held out" + ("; every 2nd of them with --quick" if self.quick else "")

    @cached_property
    def oos_intents(self) -> list[str | None]:
        """The intent the matcher gives each out-of-scope row (understanding and safety both count them)."""
        return [self.app.matcher.match(r["text"]).intent for r in self.oos]


@contextmanager
def null_sinks(prefix: str, *sinks: str) -> Iterator:
    """A private PulseAudio server with these null sinks (tests/pulse.py; its default sink when none
    is named), made the one this process and sounddevice talk to; stopped on the way out. Yields the
    server."""
    from tests.pulse import PulseServer

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    server = PulseServer(folder, sinks=sinks) if sinks else PulseServer(folder)
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    try:
        import sounddevice as sd

        sd._terminate()  # PortAudio reads PULSE_SERVER when it starts
        sd._initialize()
        yield server
    finally:
        server.stop()
