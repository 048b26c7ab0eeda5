"""The soak figures: growth after warm-up, trends, and the reading of them in sentences."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from .memory import Sample
from .paths import Phase


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 for fewer than two points)."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


@dataclass
class Figures:
    phase: Phase
    first: Sample  # the first sample after warm-up
    last: Sample
    span: int  # turns between them

    @property
    def rss_growth(self) -> float:
        return self.last.rss_mb - self.first.rss_mb

    def per_1000(self, value: float) -> float:
        return value / self.span * 1000 if self.span else 0.0

    @property
    def rss_trend(self) -> float:  # MB per 1000 turns
        return slope([(s.turn, s.rss_mb) for s in self.phase.samples if s.turn >= self.first.turn]) * 1000

    @property
    def cache_growth(self) -> float:
        return self.last.cache_mb - self.first.cache_mb

    @property
    def rest_growth(self) -> float:  # RSS growth less what the speech cache grew (bounded, by design)
        return self.rss_growth - self.cache_growth

    @property
    def rest_trend(self) -> float:  # MB per 1000 turns
        return slope([(s.turn, s.rss_mb - s.cache_mb) for s in self.phase.samples if s.turn >= self.first.turn]) * 1000

    @property
    def half(self) -> Sample:  # the first sample of the phase's second half
        mid = self.phase.samples[-1].turn / 2
        return next(s for s in self.phase.samples if s.turn >= mid)

    @property
    def late_rate(self) -> float:  # RSS less the speech cache, MB per 1000 turns over the second half
        h, last = self.half, self.last
        span = last.turn - h.turn
        return ((last.rss_mb - last.cache_mb) - (h.rss_mb - h.cache_mb)) / span * 1000 if span else 0.0

    @property
    def child_growth(self) -> float:
        return self.last.child_rss_mb - self.first.child_rss_mb

    @property
    def objects_growth(self) -> int:
        return self.last.objects - self.first.objects

    def turn_ms(self, which: str) -> float:
        ms = self.phase.turn_ms
        tenth = max(1, len(ms) // 10)
        window = ms[tenth:2 * tenth] if which == "early" else ms[-tenth:]
        return statistics.median(window) if window else 0.0


def figures(phase: Phase, warmup: float) -> Figures:
    at = math.ceil(phase.turns * warmup)
    first = next((s for s in phase.samples if s.turn >= at), phase.samples[-1])
    last = phase.samples[-1]
    return Figures(phase, first, last, last.turn - first.turn)


def nice_ceiling(x: float) -> float:
    """The smallest of 0.1, 0.2, 0.5, 1, 2, 5, 10, ... at or above x."""
    step = 0.1
    while True:
        for m in (1, 2, 5):
            if x <= step * m + 1e-9:
                return round(step * m, 10)
        step *= 10


def interpretation(figs: list[Figures]) -> str:
    """The reading of the figures, as sentences computed from them."""
    def rate(f: Figures) -> float:  # the larger of growth and trend less the speech cache, MB per 1000 turns
        return max(f.per_1000(f.rest_growth), f.rest_trend)

    worst = max(figs, key=rate)
    late = max(figs, key=lambda f: f.late_rate)
    objs = max(figs, key=lambda f: f.per_1000(f.objects_growth))
    paths = "both paths" if len(figs) > 1 else f"the {figs[0].phase.name} path"
    cached = " less the speech cache" if any(f.last.cache_lines for f in figs) else ""
    if rate(worst) <= 1.0:
        text = (f"After warm-up, resident memory{cached} grew by under {nice_ceiling(max(rate(worst), 0.0)):g} MB "
                f"per 1000 turns on {paths} (growth and trend alike)")
    elif late.late_rate <= 1.0:
        text = (f"After warm-up, resident memory{cached} still grew on the {worst.phase.name} path "
                f"({rate(worst):.1f} MB per 1000 turns, the larger of growth and trend), then levelled off: "
                f"under {nice_ceiling(max(late.late_rate, 0.0)):g} MB per 1000 turns over the second half "
                f"on {paths}")
    else:
        text = (f"Resident memory{cached} kept growing on the {late.phase.name} path, {late.late_rate:.1f} MB per "
                f"1000 turns over the second half ({rate(late):.1f} MB per 1000 turns after warm-up)")
    text += (f", and the objects the garbage collector tracks by at most {objs.per_1000(objs.objects_growth):+,.0f} "
             f"per 1000 turns ({objs.phase.name} path).")
    audio = next((f for f in figs if f.phase.name == "audio"), None)
    if audio is not None and audio.last.cache_lines:
        size = audio.phase.notes["cache_size"]
        per_line = audio.last.cache_mb / audio.last.cache_lines
        text += (f" The speech cache, an LRU bounded at {size} lines (not bytes), grew by {audio.cache_growth:+.1f} MB "
                 f"(of the {audio.rss_growth:+.1f} MB RSS growth) to {audio.last.cache_lines} lines; at the "
                 f"{per_line:.2f} MB a line seen here (float32 samples), a cache filled with such lines would "
                 f"hold about {per_line * size:,.0f} MB.")
        text += (f" The speech worker's RSS changed by {audio.per_1000(audio.child_growth):+.2f} MB per 1000 turns.")
        if audio.last.tmp_files:
            text += (f" The worker keeps every WAV it renders in its temporary folder until it exits: "
                     f"{audio.last.tmp_files:,} files, {audio.last.tmp_mb:.1f} MB on disk at the end, one more "
                     "per line rendered.")
    return text
