"""The command line: ask, chat, intents check, say, breathe, voices, devices."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields
from pathlib import Path
from typing import IO

from assistant import __version__
from assistant import breathing
from assistant.app import Paths, build, check
from assistant.content import load_content, strip_pauses
from assistant.dialogue import Dialogue, DialogueSettings
from assistant.errors import AssistantError, InputError
from assistant.matcher import MatchSettings
from assistant.messages import IntentMatch, Reply
from assistant.playback import AudioUnavailable, SoundDevicePlayer
from assistant.speaker import Speaker
from assistant.speech import Pyttsx3Renderer, SpeechUnavailable, VoiceSettings

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


def _add_voice(parser: argparse.ArgumentParser) -> None:
    v = parser.add_argument_group("voice")
    defaults = VoiceSettings()
    v.add_argument("--voice", default=defaults.voice, metavar="NAME",
                   help="pyttsx3 voice id or part of its name, e.g. en-us (default: the engine's; see `assistant voices`)")
    v.add_argument("--rate", type=int, default=defaults.rate, metavar="WPM",
                   help="speaking rate in words per minute (default: %(default)s)")
    v.add_argument("--volume", type=float, default=defaults.volume, metavar="0-1",
                   help="speaking volume (default: %(default)s)")
    v.add_argument("--render-timeout", type=float, default=defaults.render_timeout, metavar="SECONDS",
                   help="seconds one line may take to render before the speech worker is restarted "
                        "(default: %(default)s)")
    v.add_argument("--output-device", default=None, metavar="NAME|INDEX",
                   help="sounddevice output device (default: the system's; see `assistant devices`)")


def _voice(args: argparse.Namespace) -> VoiceSettings:
    if not 60 <= args.rate <= 400:
        raise InputError(f"--rate must be from 60 to 400 words per minute, got {args.rate}")
    if not 0 <= args.volume <= 1:
        raise InputError(f"--volume must be from 0 to 1, got {args.volume:g}")
    if not args.render_timeout > 0:
        raise InputError(f"--render-timeout must be above 0 seconds, got {args.render_timeout:g}")
    return VoiceSettings(args.voice, args.rate, args.volume, args.render_timeout)


def _speaker(args: argparse.Namespace, content=None, *, live: bool) -> Speaker | None:
    """A Speaker; with live=True also an audio output. None (with a one-line warning) when the
    machine cannot speak, so the reply is printed instead."""
    renderer = Pyttsx3Renderer(_voice(args))
    try:
        renderer.start()
    except SpeechUnavailable as exc:
        if not live:
            raise
        _warn(f"{exc}; printing replies instead")
        return None
    player = None
    if live:
        try:
            player = SoundDevicePlayer(args.output_device)
        except AudioUnavailable as exc:
            _warn(f"{exc}; printing replies instead")
            renderer.close()
            return None
    return Speaker(renderer, player, _voice(args), content)


def _warn(message: str) -> None:
    print(f"assistant: warning: {message}", file=sys.stderr, flush=True)


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
                                      "Ctrl-D or 'goodbye' ends it. With --speak, replies are also spoken; "
                                      "a new line interrupts what is being said.")
    chat.add_argument("--speak", action="store_true", help="also speak the replies aloud")
    chat.add_argument("--tone", action="store_true", help="soft tone at each breathing phase change")
    _add_settings(chat)
    _add_voice(chat)

    say = sub.add_parser("say", help="speak TEXT (pause marks such as [pause 2] honoured)",
                         description="Speak TEXT aloud, or write it to a WAV file with --out.")
    say.add_argument("text", metavar="TEXT")
    say.add_argument("--out", type=Path, metavar="FILE.wav", help="write the speech to this WAV file instead of playing it")
    _add_voice(say)

    breathe = sub.add_parser("breathe", help="a paced breathing break",
                             description="Pace a breathing break: an intro, cue after cue on schedule, "
                                         "and a gentle close. Ctrl-C stops it.")
    breathe.add_argument("--pattern", default=None, metavar="NAME",
                         help="box, 4-7-8, sigh or slow (default: content/breathing.yaml's)")
    length = breathe.add_mutually_exclusive_group()
    length.add_argument("--cycles", type=int, default=None, metavar="N", help="number of breathing cycles")
    length.add_argument("--minutes", type=float, default=None, metavar="M", help="about this many minutes of cycles")
    breathe.add_argument("--tone", action="store_true", help="soft tone at each phase change")
    breathe.add_argument("--out", type=Path, metavar="FILE.wav", help="write the session to this WAV file instead of playing it")
    breathe.add_argument("--content", type=Path, default=Paths.content, metavar="DIR",
                         help="folder of content YAML files (default: %(default)s)")
    _add_voice(breathe)

    sub.add_parser("voices", help="list the text-to-speech voices")
    sub.add_parser("devices", help="list the audio input and output devices")

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
    speaker = _speaker(args, dialogue.content, live=True) if args.speak else None
    interactive = sys.stdin.isatty()

    def answer(reply: Reply) -> None:
        print(strip_pauses(reply.text), flush=True)
        if speaker is not None:
            try:
                speaker.speak_reply(reply, dialogue.session.rate, args.tone)
            except AssistantError as exc:  # the output failed while speaking: the text was printed
                _warn(str(exc))

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
            m, reply = dialogue.turn(next(_lines([raw])))
            log.info("intent=%s score=%s slots=%s", m.intent, m.score, dict(m.slots))
            answer(reply)
            if reply.end_session:
                break
        if speaker is not None:
            speaker.wait()
    finally:
        if speaker is not None:
            speaker.stop()
            speaker.renderer.close()
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    speaker = _speaker(args, live=args.out is None)
    if speaker is None:
        print(strip_pauses(args.text), flush=True)
        return 0
    try:
        if args.out is not None:
            speaker.write(args.out, speaker.timeline(args.text))
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            try:
                speaker.say(args.text)
                speaker.wait()
            except AudioUnavailable as exc:
                _warn(f"{exc}; printing instead")
                print(strip_pauses(args.text), flush=True)
    finally:
        speaker.stop()
        speaker.renderer.close()
    return 0


def cmd_breathe(args: argparse.Namespace) -> int:
    content = load_content(args.content)
    pattern = args.pattern or content.default_pattern
    if pattern not in content.patterns:
        raise InputError(f"--pattern {pattern!r} is not in content/breathing.yaml; choose one of: "
                         + ", ".join(content.patterns))
    if args.cycles is not None and not 1 <= args.cycles <= 50:
        raise InputError(f"--cycles must be from 1 to 50, got {args.cycles}")
    if args.minutes is not None and not 0 < args.minutes <= 60:
        raise InputError(f"--minutes must be above 0 and at most 60, got {args.minutes:g}")
    cycles = (args.cycles or (breathing.cycles_for(content.patterns[pattern], args.minutes) if args.minutes
                              else content.default_cycles))
    speaker = _speaker(args, content, live=args.out is None)
    if speaker is None:
        _print_cues(content, pattern, cycles)
        return 0
    try:
        if args.out is not None:
            timeline, cues = speaker.breathing_timeline(pattern, cycles, args.tone)
            speaker.write(args.out, timeline)
            print(f"wrote {args.out}: {len(cues)} cues, {timeline.seconds:.1f} s", file=sys.stderr)
        else:
            try:
                speaker.breathe(pattern, cycles, args.tone)
                speaker.wait()
            except AudioUnavailable as exc:
                _warn(f"{exc}; printing the cues instead")
                _print_cues(content, pattern, cycles)
    finally:
        speaker.stop()
        speaker.renderer.close()
    return 0


def _print_cues(content, pattern: str, cycles: int) -> None:
    for cue in breathing.schedule(content.patterns[pattern], cycles)[0]:
        if cue.phase:
            print(f"{cue.at:6.1f} s  {cue.text}", flush=True)


def cmd_voices(args: argparse.Namespace) -> int:
    import pyttsx3

    try:
        engine = pyttsx3.init()
    except Exception as exc:  # noqa: BLE001 - no engine is a user-fixable problem
        raise SpeechUnavailable(f"no text-to-speech engine ({exc}); install espeak-ng (`make setup`)") from None
    for v in engine.getProperty("voices"):
        print(f"{v.id}\t{v.name}")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    try:
        import sounddevice as sd
    except OSError as exc:
        raise AudioUnavailable(f"no audio library ({exc}); install libportaudio2 (`make setup`)") from None
    devices = sd.query_devices()
    if not len(devices):
        print("no audio devices")
    for i, d in enumerate(devices):
        print(f"{i}\t{d['name']}\tin={d['max_input_channels']} out={d['max_output_channels']}"
              f"\t{d['default_samplerate']:g} Hz")
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
        if command == "intents":
            return cmd_intents_check(args)
        return {"say": cmd_say, "breathe": cmd_breathe, "voices": cmd_voices, "devices": cmd_devices}[command](args)
    except AssistantError as exc:
        print(f"assistant: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
