"""Soak: memory over thousands of turns, run on its own (`scripts/bench/soak`, __main__) because it
takes minutes. `soak --write` puts its report in BENCHMARKS.md between MARKERS (write_section);
the benchmark run keeps that section as it is (section)."""

from __future__ import annotations

from pathlib import Path

from ..common import Run

MARKERS = ("<!-- soak:start -->", "<!-- soak:end -->")


def _span(text: str) -> tuple[int, int] | None:
    """Where the marked section starts and ends in text (end past the end marker), or None."""
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    return (start, end + len(MARKERS[1])) if start >= 0 and end > start else None


def section(run: Run) -> list[str]:
    """The section `scripts/bench/soak --write` keeps in the file, carried over unchanged (markers included)."""
    text = run.out.read_text() if run.out.exists() else ""
    span = _span(text)
    return [text[span[0]:span[1]], ""] if span else []


def write_section(path: Path, lines: list[str]) -> None:
    """lines between the markers in path, replacing what was there, or appended at the end with the markers."""
    block = "\n".join([MARKERS[0], *lines, MARKERS[1]])
    text = path.read_text() if path.exists() else ""
    span = _span(text)
    if span:
        text = text[:span[0]] + block + text[span[1]:]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)
