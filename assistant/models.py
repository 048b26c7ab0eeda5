"""Where the Vosk speech model comes from: found on disk, or fetched by Vosk's own downloader.

A model is looked for, in this order:
  1. the folder given with --model PATH (an error when it is not a model folder),
  2. the folder in the environment variable ASSISTANT_VOSK_MODEL (the same),
  3. any model folder inside models/ (English ones first, the default model before them),
  4. any model folder inside Vosk's own folders (vosk.MODEL_DIRS: $VOSK_MODEL_PATH,
     /usr/share/vosk, ~/AppData/Local/vosk, ~/.cache/vosk), those that exist.

`assistant model download [NAME]` fetches a model with Vosk's own downloader (the model list
model-list.json, then NAME.zip, with a progress bar on stderr) into models/. This module is the
only place in assistant/ that opens a network connection, and only for that explicit command.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Iterable, Mapping

from assistant.recognize import RecognizerError

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
ENV_MODEL = "ASSISTANT_VOSK_MODEL"  # a model folder to use
ENV_URL = "ASSISTANT_VOSK_URL"  # where model-list.json and NAME.zip are, instead of Vosk's site
DOWNLOAD_TIMEOUT = 30.0  # seconds a stalled connection may stay silent during the zip download

_MODEL_FILES = "am/final.mdl and conf/model.conf (older models: final.mdl and mfcc.conf)"
_ENGLISH = re.compile(r"(?:^|[-_.])en(?:[-_.]|$)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class ModelError(RecognizerError):
    """No usable Vosk model: a given folder is not a model, or a download failed."""


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
    environment variable that is not a model folder is an error (ModelError), not skipped."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        _require_model(path, "--model")
        return path, f"--model {path}"
    value = env.get(ENV_MODEL, "")
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
