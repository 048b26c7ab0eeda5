"""The command line: ask, chat, intents check, say, breathe, voices, devices."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from assistant import __version__
from assistant.app import Paths, build, check, load_data
from assistant.cli import chat as cli_chat
from assistant.cli import config, options, voices
from assistant.cli import model as cli_model
from assistant.cli import serve as cli_serve
from assistant.cli import service as cli_service
from assistant.cli import timeout as cli_timeout
from assistant.cli import transcribe as cli_transcribe
from assistant.cli import voice as cli_voice
from assistant.dialogue.content import load_content, strip_pauses
from assistant.errors import AssistantError, InputError
from assistant.memory import return_freed_memory
from assistant.speaking import breathing
from assistant.speaking.playback import AudioUnavailable

log = logging.getLogger("assistant")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant",
        description="An offline voice coach for tense moments: breathing breaks, apologies, "
                    "and the 13 steps of a guide to saving a relationship. Nothing leaves this machine. "
                    "With no command, starts listening (the voice loop).")
    p.add_argument("--version", action="version", version=f"assistant {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.add_argument("--config", type=Path, default=None, metavar="FILE.yaml",
                   help="settings file: long flags without '--' as keys, e.g. `rate: 150` "
                        f"(default: {config.default_path()}, if it exists; a flag given here wins)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one utterance (or one per line from stdin with '-')",
                         description="Answer TEXT as a fresh session. With '-', read one utterance per "
                                     "line from stdin and answer each as a fresh session, in one process.")
    ask.add_argument("text", metavar="TEXT", nargs="?", help="what was said, or '-' to read lines from stdin")
    ask.add_argument("--json", action="store_true",
                     help='print {"intent", "score", "slots", "response"} as one JSON object per utterance')
    ask.add_argument("--audio", type=Path, default=None, metavar="FILE.wav",
                     help="answer what is said in this WAV file (any rate or channels) instead of TEXT")
    options.add_settings(ask)
    cli_voice.add_recognition(ask)

    chat = sub.add_parser("chat", help="the stateful dialogue, typed on stdin, answered on stdout",
                          description="Type what you would say; the assistant answers as it would aloud. "
                                      "Ctrl-D or 'goodbye' ends it. With --speak, replies are also spoken; "
                                      "a new line interrupts what is being said.")
    chat.add_argument("--speak", action="store_true", help="also speak the replies aloud")
    chat.add_argument("--tone", action="store_true", help="soft tone at each breathing phase change")
    options.add_settings(chat)
    options.add_voice(chat)
    options.add_transcript(chat)

    say = sub.add_parser("say", help="speak TEXT (pause marks such as [pause 2] honoured)",
                         description="Speak TEXT aloud, or write it to a WAV file with --out.")
    say.add_argument("text", metavar="TEXT")
    say.add_argument("--out", type=Path, metavar="FILE.wav", help="write the speech to this WAV file instead of playing it")
    options.add_voice(say)

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
    options.add_voice(breathe)

    cli_voice.add_commands(sub)
    cli_timeout.add_commands(sub)
    cli_model.add_commands(sub)
    cli_serve.add_commands(sub)
    cli_service.add_commands(sub)
    voices.add_commands(sub)
    sub.add_parser("devices", help="list the audio input and output devices")

    intents = sub.add_parser("intents", help="work with the intent files")
    isub = intents.add_subparsers(dest="intents_command", metavar="ACTION", required=True)
    ichk = isub.add_parser("check", help="validate intents/ and content/ and report conflicts",
                           description="Validate every YAML file; report a sentence that appears in two "
                                       "intents, an intent with no content, and a content key with no intent. "
                                       "Exit 0 when clean, 1 when problems were found, 2 when a file is invalid.")
    options.add_settings(ichk)
    return p


def cmd_ask(args: argparse.Namespace) -> int:
    paths, match, settings = options.settings(args)
    if (args.text is None) == (args.audio is None):
        raise InputError("give either TEXT (or '-' for stdin) or --audio FILE.wav")
    app = build(paths, match)
    dialogue = app.dialogue(settings)
    options.check_region(dialogue)
    if args.audio is not None:
        texts = [cli_transcribe.ask_audio(args, app)]  # an Utterance, with the recogniser's alternatives
    else:
        texts = options.lines(sys.stdin.buffer) if args.text == "-" else [args.text[:options.MAX_LINE]]
    for text in texts:
        dialogue.reset()
        m, reply = dialogue.turn(text)
        print(options.as_json(m, reply) if args.json else strip_pauses(reply.text), flush=True)
    return 0


MAX_SAY = 5_000  # characters `say` speaks at once (about five minutes)


def cmd_say(args: argparse.Namespace) -> int:
    if not any(ch.isalnum() for ch in strip_pauses(args.text)):
        raise InputError("TEXT has no words to say; give the words in quotes, e.g. assistant say \"I'm here.\"")
    if len(args.text) > MAX_SAY:
        raise InputError(f"TEXT is {len(args.text):,} characters long; say speaks at most {MAX_SAY:,} at a time: "
                         "split it")
    speaker = options.make_speaker(args, live=args.out is None)
    if speaker is None:
        print(strip_pauses(args.text), flush=True)
        return 0
    try:
        if args.out is not None:
            speaker.write(args.out, speaker.timeline(args.text))
            print(f"wrote {args.out} ({speaker.renderer.engine} voice {speaker.renderer.voice_id})", file=sys.stderr)
        else:
            try:
                speaker.say(args.text)
                speaker.wait()
            except AudioUnavailable as exc:
                options.warn(f"{exc}; printing instead")
                print(strip_pauses(args.text), flush=True)
    finally:
        speaker.close()
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
    speaker = options.make_speaker(args, content, live=args.out is None)
    if speaker is None:
        _print_cues(content, pattern, cycles)
        return 0
    try:
        if args.out is not None:
            timeline, cues = speaker.breathing_timeline(pattern, cycles, args.tone)
            speaker.write(args.out, timeline)
            print(f"wrote {args.out}: {len(cues)} cues, {timeline.seconds:.1f} s ({speaker.renderer.engine} voice "
                  f"{speaker.renderer.voice_id})", file=sys.stderr)
        else:
            try:
                speaker.breathe(pattern, cycles, args.tone)
                speaker.wait()
            except AudioUnavailable as exc:
                options.warn(f"{exc}; printing the cues instead")
                _print_cues(content, pattern, cycles)
    finally:
        speaker.close()
    return 0


def _print_cues(content, pattern: str, cycles: int) -> None:
    for cue in breathing.schedule(content.patterns[pattern], cycles)[0]:
        if cue.phase:
            print(f"{cue.at:6.1f} s  {cue.text}", flush=True)


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
    paths, _, _ = options.settings(args)
    assistant = load_data(paths)  # the files alone: the matcher's models are `doctor`'s to check
    problems = check(assistant)
    for problem in problems:
        print(problem)
    cat = assistant.catalogue
    print(f"{len(cat.intents)} intents, {len(cat.sentences)} sentences from {len(cat.files)} files; "
          f"{len(assistant.content.steps)} steps, {len(assistant.content.topics)} topics; "
          + (f"{len(problems)} problem(s)" if problems else "no problems"))
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    return_freed_memory()  # before any model loads: an evening of replies must not keep growing
    parser = _parser()
    given, argv = config.config_path(list(sys.argv[1:] if argv is None else argv))
    try:
        path = given or config.default_path()
        if given is not None or path.exists():
            config.apply(parser, config.read(path))
    except AssistantError as exc:
        print(f"assistant: error: {exc}", file=sys.stderr)
        return exc.exit_code
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="assistant: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.command is None:  # no command: the voice loop, with the top-level options given
        args = parser.parse_args(argv + ["listen"])
    command = args.command
    if command == "service" and args.service_command == "install":  # its listen options, checked now
        parser.parse_args(["listen", *[o for o in args.listen_options if o != "--"]])
    try:
        if command == "ask":
            return cmd_ask(args)
        if command == "chat":
            return cli_chat.cmd_chat(args)
        if command == "intents":
            return cmd_intents_check(args)
        return {"say": cmd_say, "breathe": cmd_breathe, "voices": voices.cmd_voices, "voice": voices.cmd_voice,
                "devices": cmd_devices, "timeout": cli_timeout.cmd_timeout,
                "listen": cli_voice.cmd_listen, "transcribe": cli_transcribe.cmd_transcribe,
                "doctor": cli_voice.cmd_doctor, "model": cli_model.cmd_model,
                "serve": cli_serve.cmd_serve, "service": cli_service.cmd_service}[command](args)
    except AssistantError as exc:
        print(f"assistant: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
