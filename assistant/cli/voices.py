"""The voice commands: `voices` (both engines' voices) and `voice download|list` (Piper voices)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.speaking import piper_voices


def add_commands(sub) -> None:
    sub.add_parser("voices", help="list the text-to-speech voices of both engines (use one with --voice)",
                   description="List the Piper voices (the bundled one, then those in models/) and the "
                               "pyttsx3 (espeak-ng) voices: engine, the name to give --voice, and what it is.")
    voice = sub.add_parser("voice", help="download another Piper voice (needs internet)",
                           description="`voice download NAME` fetches a Piper voice from the official Piper "
                                       "voices host into models/; with `model download`, the only commands "
                                       "that use the network.")
    vsub = voice.add_subparsers(dest="voice_command", metavar="ACTION", required=True)
    dl = vsub.add_parser("download", help="fetch NAME.onnx and NAME.onnx.json into models/, checked",
                         description="Read BASE/voices.json, download the voice's .onnx and .onnx.json with "
                                     "progress on stderr, check their size and md5 against the list, and "
                                     "record their sha256 in NAME.sha256 (checked at every load). Prints the "
                                     "model's path. Does nothing when the voice is already there and intact.")
    dl.add_argument("name", metavar="NAME", help="a Piper voice, such as en_US-lessac-medium or en_GB-alan-medium")
    lst = vsub.add_parser("list", help="list the voice names on the Piper voices host",
                          description="Print the names in BASE/voices.json, one per line.")
    for p in (dl, lst):
        p.add_argument("--url", default=None, metavar="BASE",
                       help="where voices.json and the voice files are (default: $ASSISTANT_PIPER_URL when "
                            "set, else the official Piper voices host)")
    dl.add_argument("--dest", type=Path, default=piper_voices.MODELS_DIR, metavar="DIR",
                    help="folder to put the voice in (default: %(default)s)")


def cmd_voices(args: argparse.Namespace) -> int:
    for files in piper_voices.installed():
        if files.bundled:
            about = "bundled, the default; checked against its pinned sha256"
        elif files.sha256:
            about = f"{files.model}; checked against {piper_voices.record_path(files.model).name}"
        else:
            about = f"{files.model}; no checksum recorded (not downloaded here), loaded unchecked"
        print(f"piper\t{files.name}\t{about}", flush=True)
    try:
        import pyttsx3

        engine = pyttsx3.init()
        voices = engine.getProperty("voices")
    except Exception as exc:  # noqa: BLE001 - no engine is a user-fixable problem
        print(f"assistant: warning: no pyttsx3 voices ({exc}); install espeak-ng (`make setup`)", file=sys.stderr)
        return 0
    for v in voices:
        print(f"pyttsx3\t{v.id}\t{v.name}", flush=True)
    return 0


def cmd_voice(args: argparse.Namespace) -> int:
    from assistant.speaking import voice_download

    if args.voice_command == "list":
        for name in voice_download.list_voices(args.url):
            print(name, flush=True)
        return 0
    print(voice_download.download(args.name, args.dest, args.url), flush=True)
    return 0

