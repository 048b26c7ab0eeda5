"""`assistant serve`: the coach for Home Assistant's voice satellites, over the Wyoming protocol.

Home Assistant's Wyoming integration adds it by host and port (or finds it with --zeroconf): its
`handle` program is a conversation agent (the same matcher, safety stage and dialogue as the voice
loop, a session per satellite), its `tts` program the coach's Piper voice with real pauses. When a
time-out ends, its return prompt answers that satellite's next turn (the coach opens no connection
of its own). It listens on this machine only unless told otherwise; nothing said is logged or written anywhere.
docs/home-assistant.md is the user's guide.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from assistant.app import build
from assistant.cli import options
from assistant.errors import InputError
from assistant.satellites import discovery
from assistant.satellites.info import HANDLE_NAME, TTS_NAME
from assistant.satellites.server import Coach
from assistant.satellites.settings import DEFAULT_URI, DEFAULT_ZEROCONF_NAME, ServeSettings, parse_uri
from assistant.satellites.tts import Voices
from assistant.speaking.renderer import VoiceSettings

DEFAULTS = ServeSettings()


def add_commands(sub) -> None:
    s = sub.add_parser(
        "serve", help="serve Home Assistant's voice satellites over the Wyoming protocol",
        description="A Wyoming server for Home Assistant: a conversation agent (the coach, a session per "
                    "satellite) and a voice (Piper, pause marks spoken as silence). In Home Assistant: Settings > "
                    "Devices & services > Add integration > Wyoming Protocol, then this host and port "
                    "(docs/home-assistant.md). Ctrl-C stops it. Nothing said is logged or written anywhere.")
    w = s.add_argument_group("server")
    w.add_argument("--uri", default=DEFAULT_URI, metavar="URI",
                   help="where to listen: tcp://HOST:PORT, unix://PATH or stdio:// (default: %(default)s, this "
                        "machine only; tcp://0.0.0.0:10900 for the network: Wyoming has no password or encryption)")
    w.add_argument("--zeroconf", nargs="?", const=DEFAULT_ZEROCONF_NAME, default=None, metavar="NAME",
                   help=f"advertise the server over mDNS so Home Assistant finds it (name default: "
                        f"{DEFAULT_ZEROCONF_NAME}); needs a network --uri and the zeroconf package")
    w.add_argument("--max-connections", type=int, default=DEFAULTS.max_connections, metavar="N",
                   help="connections served at once; one more gets an error and is closed (default: %(default)s)")
    w.add_argument("--connection-timeout", type=float, default=DEFAULTS.connection_timeout, metavar="SECONDS",
                   help="close a connection silent this long (default: %(default)s)")
    t = s.add_argument_group("satellites")
    t.add_argument("--session-idle", type=float, default=DEFAULTS.session_idle / 60, metavar="MINUTES",
                   help="forget a satellite's place in the conversation after this long without a turn, unless "
                        "its time-out is running (default: %(default)g)")
    t.add_argument("--max-sessions", type=int, default=DEFAULTS.max_sessions, metavar="N",
                   help="satellites remembered at once; past it the least recently heard is forgotten "
                        "(default: %(default)s)")
    t.add_argument("--plain-text", action="store_true",
                   help="answer without pause marks such as [pause 2] (use it when the pipeline's voice is not "
                        "the coach's, which would read them out)")
    v = s.add_argument_group("voice")
    voice = VoiceSettings()
    v.add_argument("--voice", default=None, metavar="NAME",
                   help="the Piper voice used when Home Assistant names none (default: the bundled "
                        "en_US-joe-medium; the voices in models/ are offered too; see `assistant voices`)")
    v.add_argument("--rate", type=int, default=voice.rate, metavar="WPM",
                   help="speaking rate in words per minute (default: %(default)s)")
    v.add_argument("--volume", type=float, default=voice.volume, metavar="0-1", help="volume (default: %(default)s)")
    options.add_settings(s)


def serve_settings(args: argparse.Namespace) -> ServeSettings:
    """The flags as settings, each checked (InputError, one line)."""
    checks = [(1 <= args.max_connections <= 10_000, f"--max-connections must be from 1 to 10000, got {args.max_connections}"),
              (0 < args.connection_timeout <= 3600, f"--connection-timeout must be above 0 and at most 3600 seconds, "
                                                    f"got {args.connection_timeout:g}"),
              (0 < args.session_idle <= 24 * 60, f"--session-idle must be above 0 and at most 1440 minutes, got "
                                                 f"{args.session_idle:g}"),
              (1 <= args.max_sessions <= 100_000, f"--max-sessions must be from 1 to 100000, got {args.max_sessions}"),
              (60 <= args.rate <= 400, f"--rate must be from 60 to 400 words per minute, got {args.rate}"),
              (0 <= args.volume <= 1, f"--volume must be from 0 to 1, got {args.volume:g}"),
              (args.zeroconf is None or args.zeroconf.strip() != "", "--zeroconf NAME must not be empty")]
    for ok, problem in checks:
        if not ok:
            raise InputError(problem)
    parse_uri(args.uri)
    return ServeSettings(uri=args.uri, zeroconf=args.zeroconf, session_idle=args.session_idle * 60,
                         max_sessions=args.max_sessions, max_connections=args.max_connections,
                         connection_timeout=args.connection_timeout, plain_text=args.plain_text)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = serve_settings(args)
    address = parse_uri(settings.uri)
    if settings.zeroconf:
        discovery.check(address)
    if not address.loopback:
        options.warn(f"listening on {address}: Wyoming has no authentication or encryption, so anyone who can "
                     "reach this port can talk to the coach and hear its replies; keep it on a trusted network "
                     "(docs/home-assistant.md)")
    paths, match, dialogue_settings = options.settings(args)
    app = build(paths, match)
    clock = options.clock(args)
    first = app.dialogue(dialogue_settings, clock)
    options.check_region(first)
    voices = Voices(VoiceSettings(args.voice, args.rate, args.volume))
    try:
        voices.renderer()  # loaded now: a broken voice fails before Home Assistant is told of it
        coach = Coach(settings, lambda: app.dialogue(dialogue_settings, clock), voices)  # it calls no one back

        def ready(where) -> None:
            print(f"assistant: serving Home Assistant on {where}: conversation agent '{HANDLE_NAME}', voice "
                  f"'{TTS_NAME}' ({voices.default.name}); Ctrl-C stops", file=sys.stderr, flush=True)

        try:
            asyncio.run(_serve(coach, ready))
        finally:
            coach.close()
    finally:
        voices.close()
    return 0


async def _serve(coach: Coach, ready) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, coach.stop)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        await coach.serve(ready)
    except OSError as exc:  # the port is taken, the socket's folder is missing
        raise InputError(f"cannot listen on {coach.settings.uri}: {exc.strerror or exc}") from None
