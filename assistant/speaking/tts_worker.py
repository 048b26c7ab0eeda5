"""The text-to-speech worker process: `python -m assistant.speaking.tts_worker --rate WPM [--voice V] [--volume X]`.

One worker speaks at one rate: with pyttsx3 2.99's espeak driver a rate change after the
first few renders is silently ignored, so the parent keeps one worker per rate instead.

Protocol: one JSON request per line on stdin, {"text": ...}; each
answer is a JSON header line on stdout, {"ok": true, "bytes": N} followed by N bytes of WAV,
or {"ok": false, "error": "..."}. The first answer, before any request, says whether the
engine started: {"ok": true, "voice": ID}. pyttsx3's own prints go to /dev/null.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import struct
import sys
import tempfile
import time


def _complete_wav(path: str, patience: float = 5.0) -> bytes:
    """The file once its RIFF header agrees with its length (espeak fills the sizes in last)."""
    deadline = time.monotonic() + patience
    data = b""
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            if len(data) > 44 and struct.unpack("<I", data[4:8])[0] == len(data) - 8:
                return data
        time.sleep(0.01)
    return data  # incomplete or empty: the parent asks again


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the temporary folder is removed
    ap = argparse.ArgumentParser()
    ap.add_argument("--voice")
    ap.add_argument("--volume", type=float, default=0.9)
    ap.add_argument("--rate", type=int, default=150)
    ap.add_argument("--folder", default=None, help="where the WAV of each line is written (and removed)")
    args = ap.parse_args()
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")

    def answer(header: dict, data: bytes = b"") -> None:
        out.write(json.dumps(header).encode() + b"\n" + data)
        out.flush()

    try:
        import pyttsx3

        engine = pyttsx3.init()
        if args.voice:
            voices = engine.getProperty("voices")
            wanted = args.voice.lower()
            chosen = next((v.id for v in voices if v.id.lower() == wanted), None) or next(
                (v.id for v in voices if wanted in v.id.lower() or wanted in (v.name or "").lower()), None)
            if chosen is None:
                answer({"ok": False, "error": f"no voice matching {args.voice!r}; `assistant voices` lists them"})
                return 1
            engine.setProperty("voice", chosen)
        engine.setProperty("volume", args.volume)
        engine.setProperty("rate", args.rate)
        answer({"ok": True, "voice": engine.getProperty("voice")})
    except Exception as exc:  # noqa: BLE001 - reported to the parent as text
        answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    with (contextlib.nullcontext(args.folder) if args.folder
          else tempfile.TemporaryDirectory(prefix="assistant-tts-")) as folder:
        for number, line in enumerate(sys.stdin):
            # A fresh file per request: pyttsx3's runAndWait can return before espeak has
            # finished writing, and a late write must never be mistaken for the next line.
            path = os.path.join(folder, f"line-{number}.wav")
            try:
                request = json.loads(line)
                engine.save_to_file(str(request["text"]), path)
                engine.runAndWait()
                data = _complete_wav(path)
                _remove(path)  # spoken words are never left on disk
                answer({"ok": True, "bytes": len(data)}, data)
            except Exception as exc:  # noqa: BLE001
                answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
