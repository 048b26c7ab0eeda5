"""Left on all evening, it must not keep growing (issue 25): replies of every length rendered by the
Piper voice leave the process about where it was (glibc's malloc tuned in assistant/memory.py, and
no onnxruntime arena in the Piper session). Untuned, 60 lines took a process from 290 MB to 690 MB."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

RENDER_LINES = r"""
import json, os, random
from assistant.memory import return_freed_memory
tuned = return_freed_memory()
from assistant.speaking.piper_tts import PiperRenderer

def rss():
    with open(f"/proc/{os.getpid()}/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmRSS"))

words = "i need a break let us take a slow breath together and talk about what happened tonight".split()
random.seed(7)
renderer = PiperRenderer(cache_size=0)  # no session cache: every line is rendered afresh
samples = []
for i in range(32):
    n = random.choice([3, 8, 20, 40, 70, 5, 12])
    renderer.render(" ".join(random.choice(words) for _ in range(n)) + f" {i}.", 150)
    if i % 8 == 7:
        samples.append(rss())
print(json.dumps({"tuned": tuned, "rss": samples}))
"""


def test_replies_of_every_length_leave_the_voice_process_where_it_was():
    done = subprocess.run([sys.executable, "-c", RENDER_LINES], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["tuned"]
    warm, last = result["rss"][1], result["rss"][-1]  # after 16 lines, after 32
    assert last - warm < 60, result["rss"]  # measured: +0 MB (without the tuning: +131 MB, and rising)
