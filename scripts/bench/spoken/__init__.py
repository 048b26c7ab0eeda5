"""Speech in: spoken accuracy per engine (espeak-ng and Piper voices x babble noise), a
BENCHMARKS.md section. The pieces: audio (espeak-ng and Piper renders and noise), accuracy (one
engine set over phrases, voices and SNRs), workers (the engines, in worker processes), table (the markdown);
`scripts/bench/spoken` (__main__) is the command for a fuller or narrower run on its own."""

from __future__ import annotations

import os

from evaluate import dev_rows

from ..common import Run
from .accuracy import QUICK_VOICES, SNRS, VOICES, quick_rows
from .table import markdown_table
from .workers import measure


def section(run: Run) -> list[str]:
    """A heading, the table, a blank line. --quick: 8 phrases stratified over the intents of the
    held-out split, 2 voices (one espeak-ng, one Piper), clean and 10 dB (about 20 s on 2 cores);
    otherwise the whole held-out split over 9 voices (5 espeak-ng, 4 Piper) and 3 noise levels
    (about 10 minutes)."""
    run.progress("spoken accuracy per engine (espeak-ng and Piper voices x SNR)")
    rows = dev_rows("test")
    what = "the held-out split"
    voices, snrs = VOICES, SNRS
    if run.quick:
        rows, what = quick_rows(rows, 8), "stratified over the intents of the held-out split"
        voices, snrs = QUICK_VOICES, (None, 10.0)
    results = measure(run.app, rows, voices, snrs, workers=min(2, os.cpu_count() or 1), progress=run.progress)
    return ["## Speech in: spoken accuracy (espeak-ng and Piper voices, babble noise)", "",
            *markdown_table(results, run.command, what), ""]
