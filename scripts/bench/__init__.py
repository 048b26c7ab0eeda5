"""The benchmarks behind BENCHMARKS.md: one module per section, run by `scripts/bench`
(__main__.py), which lists the sections in order. A section is a module with a function
`section(run: common.Run) -> list[str]` that measures and returns its markdown lines (a heading,
its text and tables, a blank line at the end); adding one is a new module and a line in
__main__.SECTIONS. `spoken/` (spoken accuracy) and `soak/` (memory over thousands of turns) are
sections with a command of their own: `scripts/bench/spoken`, `scripts/bench/soak`."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT / "scripts", ROOT):  # scripts/evaluate.py; the assistant package and tests/ (pulse, audio tools)
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
