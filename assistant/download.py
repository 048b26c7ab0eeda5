"""The one module of the assistant that uses the network: `assistant model download` (and
`model list`), through Vosk's own downloader. Nothing else in assistant/ opens a connection."""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import os
import shutil
import socket
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Mapping
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from assistant.models import (DEFAULT_MODEL, DOWNLOAD_TIMEOUT, ENV_URL, MODELS_DIR, ModelError,  # noqa: F401
                              _MODEL_FILES, _NAME, is_model, models_in)


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
