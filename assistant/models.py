"""Where the Vosk speech model comes from: found on disk, or fetched by Vosk's own downloader.

A model is looked for, in this order:
  1. the folder given with --model PATH (an error when it is not a model folder),
  2. the folder in the environment variable ASSISTANT_VOSK_MODEL (the same),
  3. any model folder inside models/ (English ones first, the default model before them),
  4. any model folder inside Vosk's own folders (vosk.MODEL_DIRS: $VOSK_MODEL_PATH,
     /usr/share/vosk, ~/AppData/Local/vosk, ~/.cache/vosk), those that exist.

ASSISTANT_VOSK_MODEL=none means no model at all (PocketSphinx); the test suite sets it.

`assistant model download [NAME]` fetches a model with Vosk's own downloader (the model list
model-list.json, then NAME.zip, with a progress bar on stderr, checked before it is unpacked) into
models/ (assistant/download.py, the only module that opens a network connection, and only for
that explicit command and the next). `python -m assistant.models --setup` is the same download of
the default English model, once, as scripts/setup.sh runs it: one line, always exit 0.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from assistant.recognize import RecognizerError

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
ENV_MODEL = "ASSISTANT_VOSK_MODEL"  # a model folder to use
ENV_URL = "ASSISTANT_VOSK_URL"  # where model-list.json and NAME.zip are, instead of Vosk's site
DOWNLOAD_TIMEOUT = 30.0  # seconds a stalled connection may stay silent during the zip download
CONNECT_TIMEOUT = 4.0  # seconds to resolve and connect to the model site: offline fails fast
ENV_NO_FETCH = "ASSISTANT_NO_MODEL_FETCH"  # set (not 0): scripts/setup.sh fetches no model
NO_MODEL = "none"  # ASSISTANT_VOSK_MODEL=none: use no Vosk model at all (PocketSphinx)
# The default model's zip as published, pinned: checked before it is unpacked (the model list's own
# md5, when it gives one, is what other models are checked against).
PINNED_ZIPS = {DEFAULT_MODEL: (41_205_931, "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498")}

_MODEL_FILES = "am/final.mdl and conf/model.conf (older models: final.mdl and mfcc.conf)"
_ENGLISH = re.compile(r"(?:^|[-_.])en(?:[-_.]|$)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class ModelError(RecognizerError):
    """No usable Vosk model: a given folder is not a model, or a download failed.

    `reason` is the cause in a few words ("cannot reach alphacephei.com: timed out"), for the
    one line setup prints; the message itself also says what to do."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


# -- finding ------------------------------------------------------------------------------------
def is_model(path: Path | str) -> bool:
    """True when `path` is a folder Vosk can load: the test Vosk's own Model() makes
    (am/final.mdl with conf/model.conf, or the older flat final.mdl with mfcc.conf)."""
    p = Path(path)
    return p.is_dir() and (((p / "am" / "final.mdl").is_file() and (p / "conf" / "model.conf").is_file())
                           or ((p / "final.mdl").is_file() and (p / "mfcc.conf").is_file()))


def models_in(folder: Path | str) -> list[Path]:
    """The model folders directly inside `folder`, best first: the default model, then other
    English ones ("en" as a part of the name), then the rest by name. Hidden folders (such as an
    unfinished download) are ignored."""
    folder = Path(folder)
    try:
        children = [c for c in folder.iterdir() if not c.name.startswith(".")]
    except OSError:  # missing, not a folder, unreadable
        return []
    found = [c for c in children if is_model(c)]
    return sorted(found, key=lambda p: (p.name != DEFAULT_MODEL, not _ENGLISH.search(p.name.lower()), p.name))


def vosk_dirs() -> list[Path]:
    """Vosk's own model folders (vosk.MODEL_DIRS), whether they exist or not."""
    import vosk

    return [Path(d).expanduser() for d in vosk.MODEL_DIRS if d]


def _require_model(path: Path, source: str) -> None:
    if is_model(path):
        return
    if not path.exists():
        why = "it does not exist"
    elif not path.is_dir():
        why = "it is not a folder"
    else:
        why = "it has no am/final.mdl with conf/model.conf"
    inside = models_in(path) if path.is_dir() else []
    hint = f"; it contains the model folder {inside[0]}: use that" if inside else ""
    raise ModelError(f"{source} {path} is not a Vosk model folder ({why}); a model folder holds "
                     f"{_MODEL_FILES}, as unpacked from a Vosk model zip{hint}")


def find_model(explicit: Path | None = None, env: Mapping[str, str] = os.environ,
               models_dir: Path = MODELS_DIR,
               cache_dirs: Iterable[Path | str | None] | None = None) -> tuple[Path | None, str]:
    """The Vosk model folder to use and where it was found, or (None, where it was looked for).

    Order: `explicit` (--model), then env ASSISTANT_VOSK_MODEL, then models_dir, then Vosk's
    own folders (`cache_dirs`, default vosk.MODEL_DIRS). A folder named by --model or by the
    environment variable that is not a model folder is an error (ModelError), not skipped.
    ASSISTANT_VOSK_MODEL=none means no model, wherever models are (the test suite sets it)."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        _require_model(path, "--model")
        return path, f"--model {path}"
    value = env.get(ENV_MODEL, "")
    if value.strip().lower() == NO_MODEL:
        return None, f"{ENV_MODEL}={value.strip()}: no Vosk model wanted"
    if value.strip():
        path = Path(value).expanduser()
        _require_model(path, ENV_MODEL)
        return path, f"{ENV_MODEL}={value}"
    models_dir = Path(models_dir)
    found = models_in(models_dir)
    if found:
        return found[0], f"in {models_dir}"
    dirs = vosk_dirs() if cache_dirs is None else [Path(d).expanduser() for d in cache_dirs if d]
    for folder in dirs:
        found = models_in(folder)
        if found:
            return found[0], f"in Vosk's model folder {folder}"
    searched = ", ".join(str(d) for d in dirs) or "none"
    return None, (f"--model not given, {ENV_MODEL} not set, no model folder in {models_dir} "
                  f"nor in Vosk's folders ({searched})")


# -- downloading --------------------------------------------------------------------------------
def site_url(url: str | None = None, env: Mapping[str, str] = os.environ) -> str:
    from assistant import download as net

    return net.site_url(url, env)


def download(name: str = DEFAULT_MODEL, dest: Path = MODELS_DIR, base_url: str | None = None,
             progress: bool = True) -> Path:
    """Fetch NAME with Vosk's own downloader into DEST/NAME (see assistant/download.py)."""
    from assistant import download as net

    return net.download(name, dest, base_url, progress)


def list_models(base: str | None = None) -> list[str]:
    from assistant import download as net

    return net.list_models(base)


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
        path = download(args.name, args.dest, args.url)
        print(path, flush=True)
        return 0
    if args.model_command == "list":
        for name in list_models(args.url):
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
    from assistant import download as net

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
    """`python -m assistant.models --setup`: the model fetch of scripts/setup.sh."""
    p = argparse.ArgumentParser(prog="python -m assistant.models",
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
    # Run the module as imported everywhere else (assistant.models), not this __main__ copy, so
    # that ModelError raised by assistant.download is the class caught here.
    from assistant.models import main as _main

    raise SystemExit(_main())
