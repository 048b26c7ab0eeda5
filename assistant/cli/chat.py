"""`assistant chat`: the same dialogue as the voice loop, typed (stdin/stdout), stateful; with
--speak it also says each reply. The voice loop falls back to it when there is no microphone."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace

from assistant.app import build
from assistant.cli import options
from assistant.cli.reload import Reloader
from assistant.dialogue.content import strip_pauses
from assistant.errors import AssistantError
from assistant.messages import Reply
from assistant.room.calls import Calls
from assistant.room.events import TranscriptLog

log = logging.getLogger("assistant")


def cmd_chat(args: argparse.Namespace) -> int:
    paths, match, settings = options.settings(args)
    settings = replace(settings, logs_kept=getattr(args, "transcript", None) is not None)  # the safety answer says so
    dialogue = build(paths, match).dialogue(settings, options.clock(args))
    options.check_region(dialogue)
    transcript = TranscriptLog(getattr(args, "transcript", None))  # a bad path fails before anything starts
    speaker = options.make_speaker(args, dialogue.content, live=True) if args.speak else None
    interactive = sys.stdin.isatty()
    reloader = Reloader(dialogue, paths.intents, paths.content, options.warn)

    def answer(reply: Reply) -> None:
        print(strip_pauses(reply.text), flush=True)
        transcript.write("assistant", strip_pauses(reply.text))
        if speaker is not None:
            try:
                speaker.speak_reply(reply, dialogue.session.rate, args.tone)
            except AssistantError as exc:  # the output failed while speaking: the text was printed
                options.warn(str(exc))

    def call(reply: Reply) -> None:  # a time-out's call, printed the moment it is due, not at the next line
        answer(reply)
        if interactive:
            print("> ", end="", flush=True)

    calls = Calls(dialogue, call, lambda: speaker)
    dialogue.timer.notify = calls.call
    try:
        answer(dialogue.greeting())
        while True:
            if interactive:
                print("> ", end="", flush=True)
            raw = sys.stdin.buffer.readline()
            if not raw:
                break
            if speaker is not None:
                speaker.stop()  # a new turn interrupts what is being said
            reloader.poll()
            said = next(options.lines([raw]))
            transcript.write("you", said)
            with calls.lock:
                m, reply = dialogue.turn(said)
                log.info("intent=%s score=%s slots=%s", m.intent, m.score, dict(m.slots))
                answer(reply)
            if reply.end_session:
                break
        if speaker is not None:
            speaker.wait()
    finally:
        dialogue.timer.close()  # the time-out ends with the session: nothing of it is kept
        transcript.close()
        if speaker is not None:
            speaker.close()
    return 0
