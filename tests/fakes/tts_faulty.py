"""A faulty speech worker for fault injection: speaks the worker protocol, misbehaves on cue.

Usage: python tts_faulty.py MODE STATEFILE
  hang-once   the first render request of the whole test hangs; later workers render for real
  hang        every render hangs
  empty-once  the first render answers with an empty (44-byte) WAV; later ones render for real
The real rendering is delegated to assistant.tts_worker's engine, so audio is genuine.
"""

import json
import os
import struct
import sys
import time

mode, state = sys.argv[1], sys.argv[2]
first = not os.path.exists(state)
out = os.fdopen(os.dup(1), "wb")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


def answer(header, data=b""):
    out.write(json.dumps(header).encode() + b"\n" + data)
    out.flush()


answer({"ok": True, "voice": "fake"})
for line in sys.stdin:
    request = json.loads(line)
    if mode == "hang" or (mode == "hang-once" and first):
        open(state, "w").close()
        time.sleep(3600)
    if mode == "empty-once" and first:
        open(state, "w").close()
        first = False
        header = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 22050, 44100, 2, 16) + b"data" + struct.pack("<I", 0)
        answer({"ok": True, "bytes": len(header)}, header)
        continue
    import pyttsx3
    engine = pyttsx3.init()
    path = state + ".wav"
    data = b""
    for _ in range(5):  # pyttsx3 itself now and then writes an empty file; this fake must not
        engine.save_to_file(request["text"], path)
        engine.runAndWait()
        data = open(path, "rb").read()
        if len(data) > 44:
            break
    answer({"ok": True, "bytes": len(data)}, data)
