"""Command-line options shared by the commands, each mapped onto a settings dataclass."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import IO

from assistant.app import Paths
from assistant.dialogue.content import strip_pauses
from assistant.dialogue.session import Dialogue, DialogueSettings
from assistant.dialogue.timer import Clock, ScaledClock
from assistant.errors import InputError, SpeechUnavailable
from assistant.messages import IntentMatch, Reply
from assistant.speaking.playback import AudioUnavailable, SoundDevicePlayer
from assistant.speaking.renderer import ENGINES, VoiceSettings
from assistant.speaking.speaker import Speaker
from assistant.speaking.speech import open_renderer
from assistant.understanding.matcher import MatchSettings

MAX_LINE = 10_000  # characters of one stdin line considered; the rest is ignored


def add_settings(parser: argparse.ArgumentParser) -> None:
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
    m.add_argument("--safety-sure", type=float, default=None, metavar="P",
                   help="safety net probability 0-1 for the safety answer (default: as trained, "
                        "assistant/data/safety_net.npz)")
    m.add_argument("--safety-unsure", type=float, default=None, metavar="P",
                   help="safety net probability 0-1 for asking 'are you safe right now?' (default: as trained)")
    d = parser.add_argument_group("dialogue")
    d.add_argument("--region", default=None, metavar="NAME",
                   help="region for safety resources: us, uk, intl (default: content/safety.yaml's)")
    d.add_argument("--cycles", type=int, default=None, metavar="N",
                   help="breathing cycles in a break (default: content/breathing.yaml's)")
    add_time_out(d)


def add_time_out(group) -> None:
    group.add_argument("--timeout-reminder", action="store_true",
                       help="during a time-out, also speak up when half of it has passed")
    group.add_argument("--clock-speed", type=float, default=None, help=argparse.SUPPRESS)  # time-outs run N times faster (tests, bench)


def clock(args: argparse.Namespace) -> Clock | None:
    """The time-outs' clock: real time, or --clock-speed times faster (so tests need not wait minutes)."""
    speed = getattr(args, "clock_speed", None)
    if speed is None:
        return None
    if not 0 < speed <= 10_000:
        raise InputError(f"--clock-speed must be above 0 and at most 10000, got {speed:g}")
    return ScaledClock(speed)


def add_voice(parser: argparse.ArgumentParser) -> None:
    v = parser.add_argument_group("voice")
    defaults = VoiceSettings()
    v.add_argument("--tts", choices=ENGINES, default=defaults.tts,
                   help="speech engine: piper (a neural voice) or pyttsx3 (espeak-ng) (default: piper, "
                        "unless --voice names a pyttsx3 voice)")
    v.add_argument("--voice", default=defaults.voice, metavar="NAME",
                   help="a Piper voice (NAME in models/, or PATH.onnx with its .onnx.json) or a pyttsx3 voice "
                        "id or part of its name, e.g. en-us (default: the bundled Piper voice en_US-joe-medium; "
                        "see `assistant voices`)")
    v.add_argument("--rate", type=int, default=defaults.rate, metavar="WPM",
                   help="speaking rate in words per minute (default: %(default)s)")
    v.add_argument("--volume", type=float, default=defaults.volume, metavar="0-1",
                   help="speaking volume (default: %(default)s)")
    v.add_argument("--render-timeout", type=float, default=defaults.render_timeout, metavar="SECONDS",
                   help="seconds one line may take to render before the speech worker is restarted "
                        "(default: %(default)s)")
    v.add_argument("--output-device", default=None, metavar="NAME|INDEX",
                   help="sounddevice output device (default: the system's; see `assistant devices`)")


def add_transcript(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transcript", type=Path, default=None, metavar="FILE",
                        help="append what was said and answered to FILE, one line each (opt-in; "
                             "by default nothing is written anywhere)")


def voice_settings(args: argparse.Namespace) -> VoiceSettings:
    if not 60 <= args.rate <= 400:
        raise InputError(f"--rate must be from 60 to 400 words per minute, got {args.rate}")
    if not 0 <= args.volume <= 1:
        raise InputError(f"--volume must be from 0 to 1, got {args.volume:g}")
    if not args.render_timeout > 0:
        raise InputError(f"--render-timeout must be above 0 seconds, got {args.render_timeout:g}")
    return VoiceSettings(args.voice, args.rate, args.volume, args.render_timeout, args.tts)


def make_speaker(args: argparse.Namespace, content=None, *, live: bool) -> Speaker | None:
    """A Speaker; with live=True also an audio output. None (with a one-line warning) when the
    machine cannot speak, so the reply is printed instead."""
    try:
        renderer = open_renderer(voice_settings(args), warn)
    except SpeechUnavailable as exc:
        if not live:
            raise
        warn(f"{exc}; printing replies instead")
        return None
    player = None
    if live:
        try:
            player = SoundDevicePlayer(args.output_device)
        except AudioUnavailable as exc:
            warn(f"{exc}; printing replies instead")
            renderer.close()
            return None
    speaker = Speaker(renderer, player, voice_settings(args), content)
    if live and getattr(args, "command", None) in ("chat", "listen"):
        speaker.warm()  # replies' first words rendered ahead, in the background
    return speaker


def warn(message: str) -> None:
    print(f"assistant: warning: {message}", file=sys.stderr, flush=True)


def settings(args: argparse.Namespace) -> tuple[Paths, MatchSettings, DialogueSettings]:
    paths = Paths(args.intents, args.content)
    match = MatchSettings(**{f.name: getattr(args, f.name) for f in fields(MatchSettings) if hasattr(args, f.name)})
    for flag in ("threshold", "margin", "safety_threshold", "safety_floor"):
        if not 0 <= getattr(match, flag) <= 100:
            raise InputError(f"--{flag.replace('_', '-')} must be between 0 and 100, got {getattr(match, flag):g}")
    for flag in ("safety_sure", "safety_unsure"):
        if getattr(match, flag) is not None and not 0 <= getattr(match, flag) <= 1:
            raise InputError(f"--{flag.replace('_', '-')} must be a probability from 0 to 1, got {getattr(match, flag):g}")
    if args.cycles is not None and not 1 <= args.cycles <= 50:
        raise InputError(f"--cycles must be from 1 to 50, got {args.cycles}")
    return paths, match, DialogueSettings(region=args.region, cycles=args.cycles,
                                          timeout_reminder=getattr(args, "timeout_reminder", False))


def check_region(dialogue: Dialogue) -> None:
    region = dialogue.settings.region
    if region is not None and region not in dialogue.content.regions:
        known = ", ".join(sorted(dialogue.content.regions))
        raise InputError(f"--region {region!r} is not in content/safety.yaml; choose one of: {known}")


def as_json(match: IntentMatch, reply: Reply) -> str:
    return json.dumps({"intent": match.intent, "score": match.score, "slots": dict(match.slots),
                       "response": strip_pauses(reply.text)}, ensure_ascii=False)


def lines(stream: IO[bytes]):
    for number, raw in enumerate(stream, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            print(f"assistant: warning: stdin line {number} is not valid UTF-8; undecodable bytes replaced",
                  file=sys.stderr)
            text = raw.decode("utf-8", errors="replace")
        yield text.rstrip("\r\n")[:MAX_LINE]
