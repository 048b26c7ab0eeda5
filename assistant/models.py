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
import contextlib
import functools
import http.client
import io
import os
import re
import shutil
import socket
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable, Mapping
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

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
    """Where model-list.json and NAME.zip are: `url`, else $ASSISTANT_VOSK_URL, else Vosk's site.
    Always ends with a slash, as Vosk appends names to it."""
    import vosk

    chosen = url or env.get(ENV_URL, "").strip() or vosk.MODEL_PRE_URL
    return chosen if chosen.endswith("/") else chosen + "/"


def _reason(exc: BaseException) -> str:
    """The root cause of a network error in a few words ("Connection refused", "timed out")."""
    seen, todo = set(), [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, TimeoutError):
            return "timed out"
        if isinstance(e, OSError) and e.strerror and not isinstance(e, URLError):
            return e.strerror
        nxt = [e.__cause__, e.__context__, getattr(e, "reason", None), *getattr(e, "args", ())]
        todo.extend(x for x in nxt if isinstance(x, BaseException))
    text = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    return " ".join(text.split())


def _network_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (URLError, requests.RequestException, ConnectionError, TimeoutError,
                            http.client.HTTPException))


def _downloader():
    """Vosk's Model with its download methods but no model: nothing is loaded, nothing freed."""
    import vosk

    class Downloader(vosk.Model):
        def __init__(self) -> None:  # vosk.Model.__init__ would load a model
            pass

        def __del__(self) -> None:  # vosk.Model.__del__ would free a handle never made
            pass

    return Downloader()


@contextlib.contextmanager
def _vosk_settings(pre_url: str, target: Path, progress: bool):
    """Point Vosk's module-level downloader settings at `pre_url` and `target`, then restore."""
    import vosk

    saved = vosk.MODEL_PRE_URL, vosk.MODEL_LIST_URL, vosk.MODEL_DIRS, vosk.tqdm
    timeout = socket.getdefaulttimeout()
    vosk.MODEL_PRE_URL, vosk.MODEL_LIST_URL = pre_url, pre_url + "model-list.json"
    vosk.MODEL_DIRS = [target]
    if not progress:
        vosk.tqdm = functools.partial(saved[3], disable=True)
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # urlretrieve has no timeout of its own
    try:
        yield
    finally:
        vosk.MODEL_PRE_URL, vosk.MODEL_LIST_URL, vosk.MODEL_DIRS, vosk.tqdm = saved
        socket.setdefaulttimeout(timeout)


def download(name: str = DEFAULT_MODEL, dest: Path = MODELS_DIR, base_url: str | None = None,
             progress: bool = True) -> Path:
    """Fetch the model NAME with Vosk's own downloader and unpack it as dest/NAME; return that.

    Reads BASE/model-list.json, then downloads BASE/NAME.zip (progress on stderr unless
    progress=False). BASE is `base_url`, else $ASSISTANT_VOSK_URL, else Vosk's site. When
    dest/NAME already holds a model, says so on stderr and returns it without downloading.
    The archive is unpacked in a hidden folder inside dest and moved into place only once it
    is a complete model, so an interrupted download leaves nothing behind."""
    if not _NAME.match(name or ""):
        raise ModelError(f"{name!r} is not a Vosk model name (such as {DEFAULT_MODEL})")
    dest = Path(dest).expanduser()
    target = dest / name
    if is_model(target):
        print(f"assistant: {target} already holds the model {name}; nothing downloaded", file=sys.stderr)
        return target
    if target.exists():
        raise ModelError(f"{target} exists but is not a Vosk model folder; move it away and run "
                         "`assistant model download` again")
    pre_url = site_url(base_url)
    list_url = pre_url + "model-list.json"
    host = urlsplit(pre_url).netloc or pre_url
    made = [d for d in (dest, *dest.parents) if not d.exists()]  # removed again if nothing arrives
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.download-", dir=dest))
    except OSError as exc:
        raise ModelError(f"cannot create a folder in {dest} for the model ({exc.strerror or exc})") from None
    said = io.StringIO()  # Vosk prints "model name X does not exist" before sys.exit(1)
    try:
        try:
            with _vosk_settings(pre_url, staging, progress), contextlib.redirect_stdout(said):
                _downloader().get_model_by_name(name)
        except SystemExit:
            raise ModelError(f"no model named {name} in the list at {list_url}; "
                             "`assistant model list` shows the names there") from None
        except HTTPError as exc:
            raise ModelError(f"{exc.url or pre_url + name + '.zip'} answered HTTP {exc.code} "
                             f"{' '.join(str(exc.reason).split())} while downloading {name}") from None
        except ValueError as exc:  # the list is not JSON (requests' JSONDecodeError is a ValueError)
            raise ModelError(f"{list_url} is not a Vosk model list ({' '.join(str(exc).split())})") from None
        except zipfile.BadZipFile:
            raise ModelError(f"{pre_url}{name}.zip is not a zip archive; is {pre_url} a Vosk model site?") from None
        except Exception as exc:  # noqa: BLE001 - classified below
            if _network_error(exc):
                raise ModelError(f"cannot reach {host} to download {name} ({_reason(exc)}); on a machine "
                                 f"with internet run `assistant model download {name}`, then copy the folder "
                                 f"{name} into {MODELS_DIR}") from None
            if isinstance(exc, OSError):
                raise ModelError(f"cannot write the model {name} into {dest} ({exc.strerror or exc})") from None
            raise
        unpacked = staging / name
        if not is_model(unpacked):
            held = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
            got = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "") or "nothing"
            raise ModelError(f"{pre_url}{name}.zip did not unpack to a Vosk model folder {name}/ "
                             f"(it held: {got}); a model folder holds {_MODEL_FILES}")
        os.replace(unpacked, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # innermost first; only folders this call created and left empty
            with contextlib.suppress(OSError):
                folder.rmdir()
    return target


def list_models(base: str | None = None) -> list[str]:
    """The model names in BASE/model-list.json (BASE as for download)."""
    import requests

    url = site_url(base) + "model-list.json"
    try:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        return [m["name"] for m in response.json()]
    except requests.HTTPError as exc:
        raise ModelError(f"{url} answered HTTP {exc.response.status_code}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{url} is not a Vosk model list ({' '.join(str(exc).split())})") from None
    except Exception as exc:  # noqa: BLE001
        if _network_error(exc):
            raise ModelError(f"cannot reach {urlsplit(url).netloc or url} to list the models "
                             f"({_reason(exc)})") from None
        raise


# -- command line -------------------------------------------------------------------------------
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
