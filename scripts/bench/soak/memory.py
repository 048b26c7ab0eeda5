"""Memory samples for the soak run: this process's RSS and peak RSS, its children's RSS (the speech
worker), the objects the garbage collector tracks, the speech cache and the worker's temporary files."""

from __future__ import annotations

import gc
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


def _status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM of a process in kB ({} when it is gone)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    return out


def _descendants(root: int) -> list[int]:
    """Every process below `root`, from the parent ids in /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])  # after "pid (comm) state"
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


@dataclass
class Sample:
    turn: int
    elapsed_s: float
    rss_mb: float
    hwm_mb: float
    child_rss_mb: float
    children: int
    objects: int
    types: Counter | None = None  # live objects per type, at the samples the report compares
    cache_lines: int = 0
    cache_mb: float = 0.0
    tmp_files: int = 0
    tmp_mb: float = 0.0


class Sampler:
    def __init__(self, renderer=None, tmp_before: set[Path] | None = None) -> None:
        self.renderer = renderer
        self.tmp_before = tmp_before or set()
        self.started = time.perf_counter()
        self.samples: list[Sample] = []

    def worker_tmp(self) -> tuple[int, int]:
        """Files and bytes in the speech workers' temporary folders created during this run."""
        files = size = 0
        for folder in Path(tempfile.gettempdir()).glob("assistant-tts-*"):
            if folder in self.tmp_before:
                continue
            for f in folder.glob("*"):
                try:
                    size += f.stat().st_size
                    files += 1
                except OSError:
                    pass
        return files, size

    def take(self, turn: int, types: bool = False) -> Sample:
        gc.collect()
        own = {id(self.samples)}  # the soak's own bookkeeping is not counted
        own.update(id(x) for x in self.samples)
        own.update(id(x.types) for x in self.samples if x.types is not None)
        live = [o for o in gc.get_objects() if id(o) not in own]
        objects = len(live)
        by_type = Counter(type(o).__qualname__ for o in live) if types else None
        del live
        me = _status()
        kids = [_status(pid) for pid in _descendants(os.getpid())]
        kids = [k for k in kids if k]
        s = Sample(turn, time.perf_counter() - self.started, me.get("VmRSS", 0) / 1024, me.get("VmHWM", 0) / 1024,
                   sum(k.get("VmRSS", 0) for k in kids) / 1024, len(kids), objects, by_type)
        cache = getattr(self.renderer, "_cache", None)  # Pyttsx3Renderer's LRU of rendered lines
        if cache is not None:
            s.cache_lines = len(cache)
            s.cache_mb = sum(a.samples.nbytes for a in list(cache.values())) / MB
            files, size = self.worker_tmp()
            s.tmp_files, s.tmp_mb = files, size / MB
        self.samples.append(s)
        return s
