"""The text-to-speech worker process: `python -m assistant.tts_worker [--voice V] [--volume X]`.

Protocol: one JSON request per line on stdin, {"text": ..., "rate": words per minute}; each
answer is a JSON header line on stdout, {"ok": true, "bytes": N} followed by N bytes of WAV,
or {"ok": false, "error": "..."}. The first answer, before any request, says whether the
engine started: {"ok": true, "voice": ID}. pyttsx3's own prints go to /dev/null.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voice")
    ap.add_argument("--volume", type=float, default=0.9)
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
        answer({"ok": True, "voice": engine.getProperty("voice")})
    except Exception as exc:  # noqa: BLE001 - reported to the parent as text
        answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    with tempfile.TemporaryDirectory(prefix="assistant-tts-") as folder:
        path = os.path.join(folder, "line.wav")
        for line in sys.stdin:
            try:
                request = json.loads(line)
                if os.path.exists(path):
                    os.unlink(path)
                engine.setProperty("rate", int(request["rate"]))
                engine.save_to_file(str(request["text"]), path)
                engine.runAndWait()
                with open(path, "rb") as f:
                    data = f.read()
                answer({"ok": True, "bytes": len(data)}, data)
            except Exception as exc:  # noqa: BLE001
                answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
