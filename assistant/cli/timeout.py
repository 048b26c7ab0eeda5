"""`assistant timeout`: a time-out on its own, with nothing to listen to.

It says the agreement (what to do meanwhile), goes quiet, and when the time is up rings a soft
chime and reads the return prompt and the whole restart (there is nobody to say next to), then
ends. Ctrl-C ends the time-out. Nothing is written anywhere; the time-out lives in this process.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from assistant.app import Paths
from assistant.cli import options
from assistant.dialogue.content import load_content, strip_pauses
from assistant.dialogue.session import Dialogue, DialogueSettings
from assistant.dialogue.timer import DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES, Call
from assistant.errors import AssistantError, InputError
from assistant.messages import IntentMatch, Reply
from assistant.room.calls import Calls


def add_commands(sub) -> None:
    t = sub.add_parser("timeout", help="a time-out on its own: agree, go quiet, call you back with a restart",
                       description=f"Start a time-out of --minutes ({MIN_MINUTES} to {MAX_MINUTES}): say what to do "
                                   "meanwhile, go quiet, and when it is time ring a soft chime and walk you through "
                                   "a short restart. Ctrl-C ends it. Nothing is written anywhere.")
    t.add_argument("--minutes", default=str(DEFAULT_MINUTES), metavar="N",
                   help=f"length in whole minutes, {MIN_MINUTES} to {MAX_MINUTES} (default: %(default)s)")
    t.add_argument("--content", type=Path, default=Paths.content, metavar="DIR",
                   help="folder of content YAML files (default: %(default)s)")
    options.add_time_out(t)
    options.add_voice(t)


def minutes_given(text: str) -> int:
    try:
        minutes = int(text)
    except ValueError:
        minutes = None
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InputError(f"--minutes must be a whole number from {MIN_MINUTES} to {MAX_MINUTES}, got {text!r}")
    return minutes


def cmd_timeout(args: argparse.Namespace) -> int:
    minutes = minutes_given(args.minutes)
    content = load_content(args.content)
    # Nothing is heard here, so no matcher: the dialogue only keeps the time and chooses the words.
    dialogue = Dialogue(None, content, DialogueSettings(timeout_reminder=args.timeout_reminder),
                        options.clock(args))
    speaker = options.make_speaker(args, content, live=True)
    over = threading.Event()

    def say(reply: Reply) -> None:
        print(strip_pauses(reply.text), flush=True)
        if speaker is not None:
            try:
                speaker.speak_reply(reply)
            except AssistantError as exc:  # the output failed: the words were printed
                options.warn(str(exc))

    def words(call: Call) -> Reply:
        if call.kind != "due":
            return dialogue.time_up(call)
        over.set()
        return Reply(dialogue.restart_script(), "time_out")

    calls = Calls(dialogue, say, lambda: speaker, words=words)
    try:
        with calls:
            with calls.lock:
                say(dialogue.respond(IntentMatch("time_out", 100.0, {"minutes": minutes})))
            print(f"assistant: time-out of {minutes} min running; Ctrl-C ends it", file=sys.stderr, flush=True)
            while not over.wait(0.5):  # woken now and then, so Ctrl-C is heard
                pass
            with calls.lock:  # the call has been said (or is being said)
                pass
        if speaker is not None:
            speaker.wait()
    except KeyboardInterrupt:
        print("assistant: time-out ended", file=sys.stderr)
        return 130
    finally:
        dialogue.timer.close()
        if speaker is not None:
            speaker.close()
    return 0
