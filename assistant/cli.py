"""The command line: `assistant ask`, `assistant chat`, `assistant intents check`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields
from pathlib import Path
from typing import IO

from assistant import __version__
from assistant.app import Paths, build, check
from assistant.content import strip_pauses
from assistant.dialogue import Dialogue, DialogueSettings
from assistant.errors import AssistantError, InputError
from assistant.matcher import MatchSettings
from assistant.messages import IntentMatch, Reply

log = logging.getLogger("assistant")

MAX_LINE = 10_000  # characters of one stdin line considered; the rest is ignored


def _add_settings(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("data")
    g.add_argument("--intents", type=Path, default=Paths.intents, metavar="DIR",
                   help="folder of intent YAML files (default: %(default)s)")
    g.add_argument("--content", type=Path, default=Paths.content, metavar="DIR",
                   help="folder of content YAML files (default: %(default)s)")
    m = parser.add_argument_group("matching")
    defaults = MatchSettings()
    m.add_argument("--threshold", type=float, default=defaults.threshold, metavar="SCORE",
                   help="score 0-100 the best intent needs (default: %(default)s)")
    m.add_argument("--margin", type=float, default=defaults.margin, metavar="POINTS",
                   help="points the best intent must lead the runner-up by (default: %(default)s)")
    m.add_argument("--safety-threshold", type=float, default=defaults.safety_threshold, metavar="SCORE",
                   help="score 0-100 at which a safety sentence wins outright (default: %(default)s)")
    m.add_argument("--safety-floor", type=float, default=defaults.safety_floor, metavar="SCORE",
                   help="score 0-100 safety needs when it is merely the best intent (default: %(default)s)")
    d = parser.add_argument_group("dialogue")
    d.add_argument("--region", default=None, metavar="NAME",
                   help="region for safety resources: us, uk, intl (default: content/safety.yaml's)")
    d.add_argument("--cycles", type=int, default=None, metavar="N",
                   help="breathing cycles in a break (default: content/breathing.yaml's)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant",
        description="An offline voice coach for tense moments: breathing breaks, apologies, "
                    "and the 13 steps of a guide to saving a relationship. Nothing leaves this machine. "
                    "With no command, starts the typed chat.")
    p.add_argument("--version", action="version", version=f"assistant {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one utterance (or one per line from stdin with '-')",
                         description="Answer TEXT as a fresh session. With '-', read one utterance per "
                                     "line from stdin and answer each as a fresh session, in one process.")
    ask.add_argument("text", metavar="TEXT", help="what was said, or '-' to read lines from stdin")
    ask.add_argument("--json", action="store_true",
                     help='print {"intent", "score", "slots", "response"} as one JSON object per utterance')
    _add_settings(ask)

    chat = sub.add_parser("chat", help="the stateful dialogue, typed on stdin, answered on stdout",
                          description="Type what you would say; the assistant answers as it would aloud. "
                                      "Ctrl-D or 'goodbye' ends it.")
    _add_settings(chat)

    intents = sub.add_parser("intents", help="work with the intent files")
    isub = intents.add_subparsers(dest="intents_command", metavar="ACTION", required=True)
    ichk = isub.add_parser("check", help="validate intents/ and content/ and report conflicts",
                           description="Validate every YAML file; report a sentence that appears in two "
                                       "intents, an intent with no content, and a content key with no intent. "
                                       "Exit 0 when clean, 1 when problems were found, 2 when a file is invalid.")
    _add_settings(ichk)
    return p


def _settings(args: argparse.Namespace) -> tuple[Paths, MatchSettings, DialogueSettings]:
    paths = Paths(args.intents, args.content)
    match = MatchSettings(**{f.name: getattr(args, f.name) for f in fields(MatchSettings) if hasattr(args, f.name)})
    for flag in ("threshold", "margin", "safety_threshold", "safety_floor"):
        if not 0 <= getattr(match, flag) <= 100:
            raise InputError(f"--{flag.replace('_', '-')} must be between 0 and 100, got {getattr(match, flag):g}")
    if args.cycles is not None and not 1 <= args.cycles <= 50:
        raise InputError(f"--cycles must be from 1 to 50, got {args.cycles}")
    return paths, match, DialogueSettings(region=args.region, cycles=args.cycles)


def _check_region(dialogue: Dialogue) -> None:
    region = dialogue.settings.region
    if region is not None and region not in dialogue.content.regions:
        known = ", ".join(sorted(dialogue.content.regions))
        raise InputError(f"--region {region!r} is not in content/safety.yaml; choose one of: {known}")


def as_json(match: IntentMatch, reply: Reply) -> str:
    return json.dumps({"intent": match.intent, "score": match.score, "slots": dict(match.slots),
                       "response": strip_pauses(reply.text)}, ensure_ascii=False)


def _lines(stream: IO[bytes]):
    for number, raw in enumerate(stream, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            print(f"assistant: warning: stdin line {number} is not valid UTF-8; undecodable bytes replaced",
                  file=sys.stderr)
            text = raw.decode("utf-8", errors="replace")
        yield text.rstrip("\r\n")[:MAX_LINE]


def cmd_ask(args: argparse.Namespace) -> int:
    paths, match, settings = _settings(args)
    dialogue = build(paths, match).dialogue(settings)
    _check_region(dialogue)
    texts = _lines(sys.stdin.buffer) if args.text == "-" else [args.text[:MAX_LINE]]
    for text in texts:
        dialogue.reset()
        m, reply = dialogue.turn(text)
        print(as_json(m, reply) if args.json else strip_pauses(reply.text), flush=True)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    paths, match, settings = _settings(args)
    dialogue = build(paths, match).dialogue(settings)
    _check_region(dialogue)
    interactive = sys.stdin.isatty()
    print(strip_pauses(dialogue.greeting().text), flush=True)
    while True:
        if interactive:
            print("> ", end="", flush=True)
        raw = sys.stdin.buffer.readline()
        if not raw:
            return 0
        text = next(_lines([raw]))
        m, reply = dialogue.turn(text)
        log.info("intent=%s score=%s slots=%s", m.intent, m.score, dict(m.slots))
        print(strip_pauses(reply.text), flush=True)
        if reply.end_session:
            return 0


def cmd_intents_check(args: argparse.Namespace) -> int:
    paths, match, _ = _settings(args)
    assistant = build(paths, match)
    problems = check(assistant)
    for problem in problems:
        print(problem)
    cat = assistant.catalogue
    print(f"{len(cat.intents)} intents, {len(cat.sentences)} sentences from {len(cat.files)} files; "
          f"{len(assistant.content.steps)} steps, {len(assistant.content.topics)} topics; "
          + (f"{len(problems)} problem(s)" if problems else "no problems"))
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="assistant: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.command is None:  # no command: the typed chat, with the top-level options given
        args = parser.parse_args((argv if argv is not None else sys.argv[1:]) + ["chat"])
    command = args.command
    try:
        if command == "ask":
            return cmd_ask(args)
        if command == "chat":
            return cmd_chat(args)
        return cmd_intents_check(args)
    except AssistantError as exc:
        print(f"assistant: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
