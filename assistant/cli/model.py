"""`assistant model download|path|list`, and the one-line fetch scripts/setup.sh runs
(`python -m assistant.cli.model --setup`). Finding a model is hearing/models.py; fetching one,
hearing/model_download.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from assistant.errors import ModelError
from assistant.hearing import model_download as net
from assistant.hearing.models import (
    _ENGLISH,
    DEFAULT_MODEL,
    ENV_MODEL,
    ENV_NO_FETCH,
    ENV_URL,
    MODELS_DIR,
    NO_MODEL,
    PINNED_ZIPS,
    find_model,
)


def add_commands(subparsers) -> argparse.ArgumentParser:
    """Add `model download|path|list` to the CLI's subparsers; dispatch with cmd_model(args)."""
    model = subparsers.add_parser(
        "model", help="find or download the Vosk speech model",
        description="Show which Vosk speech model the assistant would use, or download one. "
                    "`model download` is the only command that uses the network.")
    msub = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    dl = msub.add_parser(
        "download", help="download a Vosk model with Vosk's own downloader (needs internet)",
        description="Read the Vosk model list (BASE/model-list.json), download BASE/NAME.zip with a "
                    "progress bar on stderr, and unpack it into DIR/NAME. Does nothing when DIR/NAME "
                    "already holds the model. Prints the model folder.")
    dl.add_argument("name", nargs="?", default=DEFAULT_MODEL, metavar="NAME",
                    help="the model to fetch (default: %(default)s)")
    dl.add_argument("--dest", type=Path, default=MODELS_DIR, metavar="DIR",
                    help="folder to unpack it into (default: %(default)s)")
    dl.add_argument("--url", default=None, metavar="BASE",
                    help=f"where the model list and zips are (default: ${ENV_URL} when set, "
                         "else https://alphacephei.com/vosk/models/)")

    path = msub.add_parser(
        "path", help="show which Vosk model would be used and where it was found",
        description=f"Print the model folder the assistant would use. Looked for in this order: "
                    f"--model, ${ENV_MODEL}, a model folder in {MODELS_DIR} (English first), "
                    "Vosk's own folders ($VOSK_MODEL_PATH, /usr/share/vosk, ~/.cache/vosk). "
                    "Exit 1 with the reason when there is none.")
    path.add_argument("--model", type=Path, default=None, metavar="PATH",
                      help="a model folder to use before all others")

    lst = msub.add_parser("list", help="list the model names in the Vosk model list (needs internet)",
                          description="Print the names in BASE/model-list.json, one per line.")
    lst.add_argument("--url", default=None, metavar="BASE",
                     help=f"where the model list is (default: ${ENV_URL} when set, "
                          "else https://alphacephei.com/vosk/models/)")
    return model


def cmd_model(args: argparse.Namespace) -> int:
    if args.model_command == "download":
        path = net.download(args.name, args.dest, args.url)
        print(path, flush=True)
        return 0
    if args.model_command == "list":
        for name in net.list_models(args.url):
            print(name, flush=True)
        return 0
    path, where = find_model(args.model)
    if path is None:
        print(f"assistant: no Vosk model found ({where}); run `assistant model download` (on a machine "
              f"with internet, then copy the folder into {MODELS_DIR}) or pass --model PATH", file=sys.stderr)
        return 1
    print(path, flush=True)
    print(f"assistant: found {where}", file=sys.stderr)
    return 0


# -- the fetch scripts/setup.sh runs ------------------------------------------------------------
SETUP_RETRY = ".venv/bin/assistant model download"


def _shown(path: Path) -> str:
    """`path` relative to the working folder when inside it (models/NAME), else as it is."""
    try:
        return os.path.relpath(path) if Path(os.path.abspath(path)).is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def setup_fetch(name: str = DEFAULT_MODEL, dest: Path = MODELS_DIR, base_url: str | None = None,
                env: Mapping[str, str] = os.environ, cache_dirs: Iterable[Path | str | None] | None = None,
                out=None) -> int:
    """Fetch the English model NAME into DEST once, as scripts/setup.sh does; always exit 0.

    Prints one line on `out` (stdout): the model already found (find_model, with DEST in place
    of models/), or the opt-out, or the one failure (unreachable, HTTP error, checksum, disk),
    naming the retry command. A download prints a line before (name, size, site) and after,
    with Vosk's progress bar between them on stderr. Never a traceback; Ctrl-C is exit 130."""
    out = out or sys.stdout

    def say(line: str) -> None:
        print(f"setup: {line}", file=out, flush=True)

    retry = SETUP_RETRY + ("" if name == DEFAULT_MODEL else f" {name}")
    failed = ("could not fetch the English Vosk model ({}); the assistant will use PocketSphinx. "
              f"Retry with: {retry}")
    try:
        path, where = find_model(None, env, dest, cache_dirs)
    except ModelError as exc:  # ASSISTANT_VOSK_MODEL names a folder that is not a model
        say(f"not fetching the Vosk model: {exc}")
        return 0
    wanted = env.get(ENV_MODEL, "").strip()
    if path is None and wanted.lower() == NO_MODEL:
        say(f"{ENV_MODEL}={wanted}: the assistant uses PocketSphinx; no Vosk model fetched")
        return 0
    if path is not None and (wanted or path.name == name or _ENGLISH.search(path.name.lower())):
        say(f"Vosk model {_shown(path)} already present ({where}); nothing fetched")
        return 0
    if env.get(ENV_NO_FETCH, "").strip() not in ("", "0"):
        say(f"{ENV_NO_FETCH} is set: the English Vosk model is not fetched; the assistant will use "
            f"PocketSphinx. Fetch it with: {retry}")
        return 0
    def announce(entry: Mapping) -> None:
        size = (PINNED_ZIPS.get(name) or (entry.get("size"),))[0]
        mib = f" ({size / 2**20:.1f} MiB)" if isinstance(size, int) and size > 0 else ""
        host = urlsplit(net.site_url(base_url, env)).netloc
        say(f"fetching the English Vosk model {name}{mib} from {host} into {_shown(dest)} (once; "
            f"{ENV_NO_FETCH}=1 skips this)")

    try:
        path, checked = net.fetch(name, dest, net.site_url(base_url, env), progress=True, announce=announce)
    except KeyboardInterrupt:
        say(f"fetching the Vosk model was interrupted; nothing was kept. Retry with: {retry}")
        return 130
    except ModelError as exc:
        say(failed.format(exc.reason))
        return 0
    except Exception as exc:  # noqa: BLE001 - setup goes on with PocketSphinx whatever went wrong
        say(failed.format(" ".join(f"{type(exc).__name__}: {exc}".split())))
        return 0
    say(f"Vosk model ready: {_shown(path)} ({checked}); the assistant will use Vosk")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.cli.model --setup`: the model fetch of scripts/setup.sh."""
    p = argparse.ArgumentParser(prog="python -m assistant.cli.model",
                                description="Fetch the English Vosk model once, as `make setup` does "
                                            f"(one line; always exit 0; {ENV_NO_FETCH}=1 skips it).")
    p.add_argument("--setup", action="store_true", required=True, help="fetch the model if none is found")
    p.add_argument("--name", default=DEFAULT_MODEL, help="the model (default: %(default)s)")
    p.add_argument("--dest", type=Path, default=MODELS_DIR,
                   help="where to look for it and put it, instead of models/ (default: %(default)s)")
    p.add_argument("--url", default=None, metavar="BASE",
                   help=f"the model site (default: ${ENV_URL} when set, else Vosk's site)")
    args = p.parse_args(argv)
    return setup_fetch(args.name, args.dest, args.url)


if __name__ == "__main__":
    raise SystemExit(main())
