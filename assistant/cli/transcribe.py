"""`assistant transcribe FILE...` and `ask --audio FILE`: speech in WAV files decoded with the
engine the voice loop uses. Several files (or `-`: their paths on stdin, one a line) are decoded
in one process, one JSON line each, so a batch pays the engine's start-up once."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.app import build, recognizer
from assistant.audio import read_wav
from assistant.cli import options
from assistant.errors import InputError
from assistant.hearing.recognize import transcribe
from assistant.messages import Utterance

MAX_FILE_SECONDS = 300  # longest WAV file decoded; noise takes about as long to decode as to hear


def add_command(sub, add_recognition) -> None:
    tr = sub.add_parser("transcribe", help="decode WAV files (any rate or channels) to text",
                        description="Decode speech in WAV files with the same engine the voice loop uses. One "
                                    "file: its text (or one JSON object with --json). Several files, or - to read "
                                    "their paths from stdin (one a line): one JSON line per file, in one process; "
                                    "a file that cannot be read gets {\"file\", \"error\"}, the others are still "
                                    "decoded, and the exit status is 2.")
    tr.add_argument("files", type=Path, nargs="+", metavar="FILE.wav", help="WAV files, or - for a list on stdin")
    tr.add_argument("--json", action="store_true",
                    help='print {"file", "text", "engine", "biased", "decode_ms", "alternatives"}')
    add_recognition(tr)
    tr.add_argument("--intents", type=Path, default=options.Paths.intents, metavar="DIR",
                    help="intent files, for biasing (default: %(default)s)")
    tr.add_argument("--content", type=Path, default=options.Paths.content, metavar="DIR", help=argparse.SUPPRESS)


def read_audio(path: Path):
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a WAV file")
    return read_wav(path, str(path), max_seconds=MAX_FILE_SECONDS)


def _paths(given: list[Path]) -> list[Path]:
    if [str(p) for p in given] == ["-"]:
        return [Path(line.strip()) for line in sys.stdin if line.strip()]
    if any(str(p) == "-" for p in given):
        raise InputError("give either FILE.wav ... or - (the paths on stdin), not both")
    return given


def cmd_transcribe(args: argparse.Namespace) -> int:
    paths = _paths(args.files)
    if not paths:
        raise InputError("no files to transcribe (stdin held no paths)")
    batch = len(paths) > 1 or [str(p) for p in args.files] == ["-"]
    first = read_audio(paths[0]) if not batch else None  # one bad file: its line alone, before the engine loads
    app = build(options.Paths(args.intents, args.content))
    engine, notice = recognizer(app, args.engine, args.model, bias=not args.no_bias)
    print(f"assistant: {notice}", file=sys.stderr)
    failed = 0
    for i, path in enumerate(paths):
        try:
            audio = first if i == 0 and first is not None else read_audio(path)
        except InputError as exc:
            failed += 1
            print(f"assistant: error: {exc}", file=sys.stderr)
            print(json.dumps({"file": str(path), "error": str(exc)}, ensure_ascii=False), flush=True)
            continue
        t = transcribe(engine, audio)
        if args.json or batch:
            print(json.dumps({"file": str(path), "text": t.text, "engine": t.engine, "biased": t.biased,
                              "decode_ms": round(t.decode_s * 1000, 1), "alternatives": list(t.alternatives)},
                             ensure_ascii=False), flush=True)
        else:
            print(t.text, flush=True)
    if hasattr(engine, "close"):
        engine.close()
    return 2 if failed else 0


def ask_audio(args: argparse.Namespace, app) -> Utterance:
    """What `ask --audio FILE` heard: the best hypothesis and the others."""
    audio = read_audio(args.audio)
    engine, notice = recognizer(app, args.engine, args.model, bias=not args.no_bias)
    print(f"assistant: {notice}", file=sys.stderr)
    heard = transcribe(engine, audio)
    return Utterance(heard.text, "voice", heard.alternatives)
