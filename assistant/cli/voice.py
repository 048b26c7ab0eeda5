"""The voice commands: listen (the whole loop), transcribe, ask --audio, doctor."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

from assistant.app import ENGINES, build, check, recognizer
from assistant.cli import chat, options
from assistant.cli import transcribe as transcribe_command
from assistant.cli.reload import Reloader
from assistant.dialogue.content import strip_pauses
from assistant.errors import AssistantError, InputError
from assistant.hearing.capture import CaptureSettings, Microphone
from assistant.hearing.echo import CANCELLERS, EchoFilter, make_canceller
from assistant.hearing.reference import Reference
from assistant.hearing.endpoint import SILENCE, EndpointSettings
from assistant.hearing.turn import EndOfTurn, TurnSettings, load_turn_model
from assistant.room.addressed import Addressing, AddressSettings
from assistant.room.events import Events, TranscriptLog
from assistant.room.loop import VoiceLoop
from assistant.room.overvoice import LoopSettings
from assistant.room.turns import TurnTaking
from assistant.speaking.playback import AudioUnavailable


def add_recognition(parser: argparse.ArgumentParser) -> None:
    r = parser.add_argument_group("recognition")
    r.add_argument("--engine", choices=ENGINES, default=None,
                   help="the recognizer: moonshine (neural, bundled; PocketSphinx beside it for commands said over "
                        "its voice), vosk (needs a model: `assistant model download`), or pocketsphinx alone "
                        "(default: moonshine, pocketsphinx when Moonshine cannot load)")
    r.add_argument("--model", type=Path, default=None, metavar="PATH", help="the Vosk model folder (--engine vosk)")
    r.add_argument("--no-bias", action="store_true",
                   help="decode free-form, without biasing recognition to the intents' sentences")


def add_commands(sub) -> None:
    listen = sub.add_parser("listen", help="the voice loop: listen, answer aloud (the default command)",
                            description="Listen on the microphone and answer aloud, offline. Ctrl-C leaves. "
                                        "Without a microphone it says so and carries on as the typed chat.")
    add_recognition(listen)
    a = listen.add_argument_group("listening")
    a.add_argument("--input-device", default=None, metavar="NAME|INDEX", help="microphone (see `assistant devices`)")
    a.add_argument("--endpoint", choices=sorted(SILENCE), default="normal",
                   help="how long a pause ends what you say: quick 0.5 s, normal 0.9 s, relaxed 1.5 s (default: normal)")
    a.add_argument("--turn", choices=("smart", "words", "window"), default="smart",
                   help="how it knows you are done: smart (a clear request ends after %.2f s of silence, a sentence "
                        "that trails off waits %.1f s; from the words and the turn model), words (the same from the "
                        "words alone), window (the --endpoint pause alone) (default: %%(default)s)" % (TurnSettings.quick, TurnSettings.unfinished))
    a.add_argument("--silence", type=float, default=None, metavar="SECONDS",
                   help="trailing silence that ends an utterance, overriding --endpoint")
    a.add_argument("--guard", type=float, default=LoopSettings.guard, metavar="SECONDS",
                   help="after the assistant speaks, ignore the microphone this long (default: %(default)s)")
    a.add_argument("--barge-in", action=argparse.BooleanOptionalAction, default=LoopSettings.barge_in,
                   help="while speaking, listen for stop (wait, pause) and slower; --no-barge-in: strict "
                        "half-duplex, only a danger is heard while it speaks (default: on)")
    a.add_argument("--echo-cancel", choices=CANCELLERS, default="webrtc",
                   help="take the assistant's own voice out of what the microphone hears: WebRTC's AEC3, "
                        "speexdsp, or off (default: %(default)s)")
    a.add_argument("--follow-up", type=float, default=AddressSettings.follow_up, metavar="SECONDS",
                   help="after it last spoke, answer what it did not understand for this long; later misses "
                        "are taken for talk between you and stay unanswered (default: %(default)s)")
    a.add_argument("--unprompted-threshold", type=float, default=AddressSettings.unprompted, metavar="SCORE",
                   help="score 0-100 a request needs when it was not asked for (outside the follow-up window, "
                        "not naming the coach), as people may be talking to each other (default: %(default)s)")
    a.add_argument("--unprompted-distress-threshold", type=float, default=AddressSettings.unprompted_distress,
                   metavar="SCORE", help="the same for distress with no ask in it (\"we're barely holding it "
                   "together\"), a moment to help even when said to nobody in particular (default: %(default)s)")
    a.add_argument("--always-answer", action="store_true",
                   help="answer every utterance it does not understand (someone alone with it)")
    a.add_argument("--wake-word", default=None, metavar="NAME|PHRASE",
                   help="act only on what follows a wake word: a bundled model (okay_nabu, hey_jarvis, "
                        "hey_mycroft, alexa) or a phrase of your own; a danger is heard without it (default: none)")
    a.add_argument("--no-safety-watch", dest="safety_watch", action="store_false",
                   help="while speaking, ignore the microphone entirely (by default a danger such as "
                        "\"he hit me\" said over a reply still stops it and is answered)")
    a.add_argument("--echo", type=float, default=LoopSettings.echo, metavar="SCORE",
                   help="score 0-100 above which a danger heard while speaking is taken for the echo of "
                        "the reply being spoken (default: %(default)s)")
    a.add_argument("--events", type=Path, default=None, metavar="FILE",
                   help="append one JSON line per turn (transcript, intent, timings); nothing is written otherwise")
    a.add_argument("--tone", action="store_true", help="soft tone at each breathing phase change")
    options.add_transcript(listen)
    options.add_settings(listen)
    options.add_voice(listen)

    transcribe_command.add_command(sub, add_recognition)

    sub.add_parser("doctor", help="check engine, model, devices, voice, intents and content; say how to fix each")


def cmd_listen(args: argparse.Namespace) -> int:
    paths, match, dsettings = options.settings(args)
    dsettings = replace(dsettings, logs_kept=bool(args.transcript or args.events))  # the safety answer says so
    app = build(paths, match)
    dialogue = app.dialogue(dsettings, options.clock(args))
    options.check_region(dialogue)
    silence = args.silence if args.silence is not None else SILENCE[args.endpoint]
    if not 0.2 <= silence <= 5 or not 0 <= args.guard <= 5:
        raise InputError("--silence must be from 0.2 to 5 seconds and --guard from 0 to 5 seconds")
    if not 0 <= args.echo <= 100:
        raise InputError(f"--echo must be between 0 and 100, got {args.echo:g}")
    for flag, value in (("--unprompted-threshold", args.unprompted_threshold),
                        ("--unprompted-distress-threshold", args.unprompted_distress_threshold)):
        if not 0 <= value <= 100:
            raise InputError(f"{flag} must be between 0 and 100, got {value:g}")
    if not 0 <= args.follow_up <= 600:
        raise InputError(f"--follow-up must be from 0 to 600 seconds, got {args.follow_up:g}")
    events = Events.open(args.events)  # a path that cannot be written fails before anything starts
    log = TranscriptLog(args.transcript)
    try:
        mic = Microphone(CaptureSettings(input_device=args.input_device))
        mic.open()
    except AudioUnavailable as exc:
        events.close()
        log.close()  # the typed chat opens the transcript itself
        options.warn(f"{exc}; carrying on as the typed chat")
        args.speak = True
        return chat.cmd_chat(args)
    t = time.perf_counter()
    engine, notice = recognizer(app, args.engine, args.model, bias=not args.no_bias, live=True)
    print(f"assistant: {notice}; ready in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    speaker = options.make_speaker(args, app.content, live=True)
    loop = VoiceLoop(mic, engine, dialogue, speaker, events, EndpointSettings(silence=silence),
                     LoopSettings(guard=args.guard, barge_in=args.barge_in,
                                  safety_watch=args.safety_watch, echo=args.echo),
                     say=lambda text: print(text, flush=True), tones=args.tone,
                     reloader=Reloader(dialogue, paths.intents, paths.content, options.warn, background=True), transcript=log,
                     echo=echo_filter(args.echo_cancel, speaker),
                     addressing=Addressing(AddressSettings(follow_up=args.follow_up, always_answer=args.always_answer,
                                                           unprompted=args.unprompted_threshold,
                                                           unprompted_distress=args.unprompted_distress_threshold),
                                           wake_word(args.wake_word)),
                     turns=TurnTaking(turn_taking(args.turn, app.matcher)))
    signal.signal(signal.SIGTERM, lambda *_: loop.stopping.set())
    try:
        return loop.run(strip_pauses(dialogue.greeting().text))
    except KeyboardInterrupt:
        return 0
    finally:
        loop.stopping.set()
        mic.close()
        events.write(event="session", dropped=mic.dropped, overflows=mic.overflows,
                     underruns=getattr(getattr(speaker, "player", None), "underruns", 0),
                     echo=loop.echo.summary() if loop.echo is not None else None)
        events.close()
        log.close()
        if speaker is not None:
            speaker.close()
        if hasattr(engine, "close"):
            engine.close()
        if mic.dropped:
            print(f"assistant: {mic.dropped} audio blocks were dropped (the machine was too busy)", file=sys.stderr)


def turn_taking(kind: str, matcher) -> EndOfTurn | None:
    """The end-of-turn decision --turn asks for (None: the endpointer's window alone)."""
    if kind == "window":
        return None
    settings = TurnSettings(model=kind == "smart")
    return EndOfTurn(settings, load_turn_model(settings, options.warn), matcher.match)


def optional_part(make, without: str):
    """What make() returns; None after one warning line when it raises: the loop runs on without it."""
    try:
        return make()
    except AssistantError as exc:
        options.warn(f"{exc}; {without}")
        return None


def echo_filter(name: str, speaker) -> EchoFilter | None:
    """The echo canceller, fed by the speaker's player; None (one warning line) when it cannot start."""
    player = getattr(speaker, "player", None)
    if name == "off" or player is None:
        return None
    canceller = optional_part(lambda: make_canceller(name), "listening without echo cancellation")
    if canceller is None:
        return None
    player.reference = Reference()
    linear = None
    if name == "webrtc":  # what the recogniser hears over its voice: see EchoFilter
        linear = optional_part(lambda: make_canceller("speex"), "words said over its voice are heard through "
                                                                "WebRTC's canceller alone (their first sounds are lost)")
    return EchoFilter(canceller, player.reference, linear=linear)


def wake_word(spec: str | None):
    """The wake word asked for; None (one warning line) when it cannot be used."""
    if not spec:
        return None
    from assistant.hearing.wake import load_wake_word

    wake = optional_part(lambda: load_wake_word(spec), "listening without a wake word")
    if getattr(wake, "warning", None):
        options.warn(wake.warning)
    return wake


def cmd_doctor(args: argparse.Namespace) -> int:
    problems = 0

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal problems
        problems += not ok
        print(f"{'ok ' if ok else 'NO '} {what}" + ("" if ok or not fix else f"\n     fix: {fix}"))

    try:
        app = build()
        issues = check(app)
        report(not issues, f"intents and content: {len(app.catalogue.intents)} intents, "
               f"{len(app.catalogue.sentences)} sentences" + (f"; {len(issues)} problem(s)" if issues else ""),
               "run `assistant intents check` and edit the files it names")
    except AssistantError as exc:
        report(False, f"intents and content: {exc}", "fix the file and line named")
        return 1
    from assistant.hearing.models import find_model

    try:
        engine, notice = recognizer(app)
        report(engine.name == "moonshine", f"recognizer: {engine.name} ({notice})",
               "reinstall the assistant (`make setup`); meanwhile PocketSphinx hears alone, less well")
        if hasattr(engine, "close"):
            engine.close()
    except AssistantError as exc:
        report(False, f"recognizer: {exc}", "reinstall with `make setup`")
    path, where = find_model(None)  # optional: only --engine vosk uses it
    print(f"    Vosk model (for --engine vosk): {path} ({where})" if path else "    Vosk model (for --engine vosk): none")
    try:
        import sounddevice as sd

        inputs = [d["name"] for d in sd.query_devices() if d["max_input_channels"] > 0]
        outputs = [d["name"] for d in sd.query_devices() if d["max_output_channels"] > 0]
        report(bool(inputs), f"input devices: {', '.join(inputs) or 'none'}",
               "plug in a microphone; without one the assistant runs as the typed chat")
        report(bool(outputs), f"output devices: {', '.join(outputs) or 'none'}",
               "connect a speaker; without one replies are printed")
    except OSError as exc:
        report(False, f"audio library: {exc}", "install libportaudio2 (`make setup`)")
    from assistant.speaking.piper_tts import PiperRenderer
    from assistant.speaking.pyttsx3_tts import Pyttsx3Renderer

    for renderer, fix in ((PiperRenderer(), "reinstall the voice (`make setup`), or use --tts pyttsx3"),
                          (Pyttsx3Renderer(), "install espeak-ng (`make setup`)")):
        try:
            renderer.start()
            audio = renderer.render("Hello.", 150)
            report(audio.seconds > 0.1, f"text-to-speech: {renderer.engine} voice {renderer.voice_id}")
        except AssistantError as exc:
            report(False, f"text-to-speech ({renderer.engine}): {exc}", fix)
        finally:
            renderer.close()
    print("all good" if not problems else f"{problems} problem(s)")
    return 0 if not problems else 1
