"""`assistant service install|remove`: the voice loop started at login, restarted if it fails.

A systemd user unit (~/.config/systemd/user/NAME.service) runs `assistant listen` with the options
given after `install` (and the user's config file, read as every command reads it). It restarts on
failure after 5 s, gives up after 5 failures in 5 minutes, writes its log lines to the journal
(`journalctl --user -u NAME`), and keeps nothing said: --events and --transcript are refused here.
Without a user session bus (a server, a container), the unit is written and the commands that start
it are printed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from assistant.errors import ServiceError

NAME = "couples-coach"
KEEPS_WORDS = ("--events", "--transcript")  # options that write what was said: not in a service
UNIT = """\
[Unit]
Description=Couples voice coach (assistant listen): answers aloud, offline
Documentation=file://{readme}
After=sound.target pipewire-pulse.service pulseaudio.service
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=simple
WorkingDirectory={root}
ExecStart={command}
Restart=on-failure
RestartSec=5
# SIGTERM: it finishes the line it is writing and exits within 2 s
TimeoutStopSec=10
StandardInput=null
# its warnings go to the journal; nothing said is written anywhere
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy=default.target
"""


def add_commands(sub) -> None:
    s = sub.add_parser("service", help="start the voice loop at login (a systemd user unit), or stop doing so",
                       description=__doc__.split("\n\n")[0] + " Its log lines go to the journal; nothing said is kept.")
    ssub = s.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    inst = ssub.add_parser("install", help="write the unit, enable it and start it now",
                           description="Write ~/.config/systemd/user/NAME.service running `assistant listen` with "
                                       "LISTEN_OPTIONS, then enable it (started at login) and start it.")
    inst.add_argument("--name", default=NAME, help="the unit's name (default: %(default)s)")
    inst.add_argument("--no-start", action="store_true", help="only write the unit; print how to start it")
    inst.add_argument("listen_options", nargs=argparse.REMAINDER, metavar="LISTEN_OPTIONS",
                      help="options for `assistant listen`, after `--` (e.g. -- --wake-word hey_jarvis)")
    rem = ssub.add_parser("remove", help="stop the service, disable it and delete its unit")
    rem.add_argument("--name", default=NAME, help="the unit's name (default: %(default)s)")


def unit_path(name: str) -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user" / f"{name}.service"


def unit_text(options: list[str]) -> str:
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "assistant", "listen", *options]
    return UNIT.format(readme=root / "README.md", root=root, command=" ".join(shlex.quote(c) for c in command))


def _systemctl(*args: str) -> str | None:
    """Runs `systemctl --user ARGS`; None when it worked, else why not (one line)."""
    if shutil.which("systemctl") is None:
        return "systemctl is not installed (this system does not run systemd)"
    try:
        done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[0] if lines else f"exit status {done.returncode}"
    return None


def _check_name(name: str) -> None:
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise ServiceError(f"--name {name!r}: use letters, digits, '-', '_' or '.' (e.g. {NAME})")


def cmd_service(args: argparse.Namespace) -> int:
    _check_name(args.name)
    path = unit_path(args.name)
    if args.service_command == "remove":
        if not path.exists():
            print(f"no service to remove ({path} does not exist)")
            return 0
        problem = _systemctl("disable", "--now", f"{args.name}.service")
        path.unlink()
        _systemctl("daemon-reload")
        print(f"removed {path}" + (f" (systemctl: {problem})" if problem else "; it is stopped and will not start at login"))
        return 0
    options = [o for o in args.listen_options if o != "--"]
    kept = [o for o in options if o.split("=")[0] in KEEPS_WORDS]
    if kept:
        raise ServiceError(f"{kept[0]}: a service keeps nothing said; run `assistant listen {kept[0]} FILE` yourself "
                           "when you want a record")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unit_text(options))
    print(f"wrote {path}")
    start = f"systemctl --user daemon-reload && systemctl --user enable --now {args.name}.service"
    if args.no_start:
        print(f"to start it now and at every login: {start}")
        return 0
    problem = _systemctl("daemon-reload") or _systemctl("enable", "--now", f"{args.name}.service")
    if problem:
        raise ServiceError(f"wrote {path} but could not start it ({problem}); in your desktop session run: {start}")
    print(f"started; it starts at every login. Its log: journalctl --user -u {args.name}; "
          f"to stop for good: assistant service remove")
    return 0
