"""Fetching a Vosk model: `assistant model download` (and `model list`, and the fetch
scripts/setup.sh runs), through Vosk's own downloader. With speaking/voice_download.py, the only
modules that open a connection, and only for those explicit commands.

The model list is read with a short connect timeout (CONNECT_TIMEOUT, DNS included), so an offline
machine fails in seconds; the zip is checked (the default model's sha256 is pinned, others against
the list's md5 and size) before Vosk unpacks it."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import types
import zipfile
from pathlib import Path
from typing import Callable, Mapping
from urllib.error import HTTPError
from urllib.parse import urlsplit

from assistant.download import network_error, reason
from assistant.hearing.models import (  # noqa: F401
    _MODEL_FILES,
    _NAME,
    CONNECT_TIMEOUT,
    DEFAULT_MODEL,
    DOWNLOAD_TIMEOUT,
    ENV_URL,
    MODELS_DIR,
    PINNED_ZIPS,
    ModelError,
    is_model,
    models_in,
)


def site_url(url: str | None = None, env: Mapping[str, str] = os.environ) -> str:
    """Where model-list.json and NAME.zip are: `url`, else $ASSISTANT_VOSK_URL, else Vosk's site.
    Always ends with a slash, as Vosk appends names to it."""
    import vosk

    chosen = url or env.get(ENV_URL, "").strip() or vosk.MODEL_PRE_URL
    return chosen if chosen.endswith("/") else chosen + "/"


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
def _vosk_settings(pre_url: str, target: Path, progress: bool, listed=None, expect: dict | None = None):
    """Point Vosk's module-level downloader settings at `pre_url` and `target`, then restore.

    `listed` is the model list's response, already fetched (with a short connect timeout): Vosk
    is handed it instead of fetching the list again. `expect` is what the zip must be (size and
    digests): it is checked as soon as Vosk has written it, before Vosk unpacks it."""
    import vosk

    saved = vosk.MODEL_PRE_URL, vosk.MODEL_LIST_URL, vosk.MODEL_DIRS, vosk.tqdm, vosk.requests, vosk.urlretrieve
    timeout = socket.getdefaulttimeout()
    vosk.MODEL_PRE_URL, vosk.MODEL_LIST_URL = pre_url, pre_url + "model-list.json"
    vosk.MODEL_DIRS = [target]
    if not progress:
        vosk.tqdm = functools.partial(saved[3], disable=True)
    if listed is not None:
        vosk.requests = types.SimpleNamespace(get=lambda *args, **kwargs: listed)
    if expect:
        retrieve = saved[5]

        def checked_urlretrieve(url, filename, *args, **kwargs):
            result = retrieve(url, filename, *args, **kwargs)
            _check_zip(Path(filename), url, expect)
            return result

        vosk.urlretrieve = checked_urlretrieve
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # urlretrieve has no timeout of its own
    try:
        yield
    finally:
        (vosk.MODEL_PRE_URL, vosk.MODEL_LIST_URL, vosk.MODEL_DIRS, vosk.tqdm, vosk.requests,
         vosk.urlretrieve) = saved
        socket.setdefaulttimeout(timeout)


def _resolve(url: str, timeout: float | None = None) -> None:
    """Look the host of `url` up, giving up after `timeout` seconds: the connect timeout does not
    cover DNS, which on a machine with a network but no internet can take half a minute. Skipped
    when a proxy is configured for `url` (the proxy resolves it)."""
    import requests

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    parts = urlsplit(url)
    if not parts.hostname or requests.utils.get_environ_proxies(url):
        return
    failed: list[BaseException] = []

    def look_up() -> None:
        try:
            socket.getaddrinfo(parts.hostname, parts.port or (80 if parts.scheme == "http" else 443),
                               type=socket.SOCK_STREAM)
        except OSError as exc:
            failed.append(exc)

    worker = threading.Thread(target=look_up, name="resolve-model-site", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"looking up {parts.hostname} took over {timeout:g} s")
    if failed:
        raise failed[0]


def _list_entry(name: str, list_url: str):
    """(the response, NAME's entry) of the model list at `list_url`; ModelError when NAME is not
    in it. Network errors propagate (classified by the caller)."""
    import requests

    _resolve(list_url)
    response = requests.get(list_url, timeout=(CONNECT_TIMEOUT, DOWNLOAD_TIMEOUT))
    response.raise_for_status()
    entries = response.json()  # ValueError when it is not JSON
    if not isinstance(entries, list):
        raise ValueError("not a JSON list")
    entry = next((e for e in entries if isinstance(e, dict) and e.get("name") == name), None)
    if entry is None:
        raise ModelError(f"no model named {name} in the list at {list_url}; "
                         "`assistant model list` shows the names there",
                         reason=f"no model named {name} in the list at {list_url}")
    return response, entry


def expected_zip(name: str, entry: Mapping) -> dict:
    """What NAME.zip must be: {"size", "sha256", "md5", "checked"}, any of the first three None.
    A pinned digest (models.PINNED_ZIPS: the default model) decides alone; otherwise the model
    list's size and md5 are used, when it gives them. "checked" says which, for the user."""
    pinned = PINNED_ZIPS.get(name)
    if pinned:
        return {"size": pinned[0], "sha256": pinned[1], "md5": None, "checked": "sha256 checked"}
    size = entry.get("size")
    size = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None
    md5 = str(entry.get("md5") or "").strip().lower()
    md5 = md5 if re.fullmatch(r"[0-9a-f]{32}", md5) else None
    checked = ("md5 checked against the model list" if md5 else
               "size checked against the model list; it gives no checksum" if size else
               "not checked: the model list gives no checksum")
    return {"size": size, "sha256": None, "md5": md5, "checked": checked}


def _check_zip(path: Path, url: str, expect: Mapping) -> None:
    """ModelError unless the file at `path` (downloaded from `url`) is the expected size and digest."""
    sha, md5, got = hashlib.sha256(), hashlib.md5(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
            md5.update(block)
            got += len(block)
    wrong = []
    if expect.get("size") and got != expect["size"]:
        wrong.append(f"{got} bytes, expected {expect['size']}")
    for algo, digest in (("sha256", sha), ("md5", md5)):
        if expect.get(algo) and digest.hexdigest() != expect[algo]:
            wrong.append(f"{algo} {digest.hexdigest()[:16]}..., expected {expect[algo][:16]}...")
    if wrong:
        what = "; ".join(wrong)
        raise ModelError(f"{url} arrived damaged or is not the published file ({what}); nothing was "
                         "kept: run `assistant model download` again",
                         reason=f"{url.rsplit('/', 1)[-1]} failed its checksum: {what}")


def download(name: str = DEFAULT_MODEL, dest: Path = MODELS_DIR, base_url: str | None = None,
             progress: bool = True) -> Path:
    """Fetch the model NAME with Vosk's own downloader and unpack it as dest/NAME; return that.

    Reads BASE/model-list.json, then downloads BASE/NAME.zip (progress on stderr unless
    progress=False). BASE is `base_url`, else $ASSISTANT_VOSK_URL, else Vosk's site. When
    dest/NAME already holds a model, says so on stderr and returns it without downloading.
    The zip is checked (size and digest, see expected_zip) before it is unpacked; it is unpacked
    in a hidden folder inside dest and moved into place only once it is a complete model, so an
    interrupted, damaged or failed download leaves nothing behind."""
    return fetch(name, dest, base_url, progress)[0]


def fetch(name: str = DEFAULT_MODEL, dest: Path = MODELS_DIR, base_url: str | None = None,
          progress: bool = True, announce: Callable[[Mapping], None] | None = None) -> tuple[Path, str]:
    """download(), returning also how the zip was checked ("sha256 checked", ...; "already there"
    when nothing was downloaded). `announce(entry)` is called with the model list's entry for
    NAME once the list is read, before the zip is downloaded."""
    if not _NAME.match(name or ""):
        raise ModelError(f"{name!r} is not a Vosk model name (such as {DEFAULT_MODEL})")
    dest = Path(dest).expanduser()
    target = dest / name
    if is_model(target):
        print(f"assistant: {target} already holds the model {name}; nothing downloaded", file=sys.stderr)
        return target, "already there"
    if target.exists():
        raise ModelError(f"{target} exists but is not a Vosk model folder; move it away and run "
                         "`assistant model download` again",
                         reason=f"{target} exists but is not a Vosk model folder")
    import requests

    pre_url = site_url(base_url)
    list_url = pre_url + "model-list.json"
    host = urlsplit(pre_url).netloc or pre_url
    made = [d for d in (dest, *dest.parents) if not d.exists()]  # removed again if nothing arrives
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.download-", dir=dest))
    except OSError as exc:
        raise ModelError(f"cannot create a folder in {dest} for the model ({exc.strerror or exc})",
                         reason=f"cannot write into {dest}: {exc.strerror or exc}") from None
    said = io.StringIO()  # Vosk prints "model name X does not exist" before sys.exit(1)
    try:
        try:
            listed, entry = _list_entry(name, list_url)
            expect = expected_zip(name, entry)
            if announce is not None:
                announce(entry)
            with _vosk_settings(pre_url, staging, progress, listed, expect), contextlib.redirect_stdout(said):
                _downloader().get_model_by_name(name)
        except ModelError:
            raise
        except SystemExit:
            raise ModelError(f"no model named {name} in the list at {list_url}; "
                             "`assistant model list` shows the names there",
                             reason=f"no model named {name} in the list at {list_url}") from None
        except HTTPError as exc:
            what = f"{exc.url or pre_url + name + '.zip'} answered HTTP {exc.code} {' '.join(str(exc.reason).split())}"
            raise ModelError(f"{what} while downloading {name}", reason=what) from None
        except requests.HTTPError as exc:
            what = f"{list_url} answered HTTP {exc.response.status_code} {exc.response.reason or ''}".strip()
            raise ModelError(f"{what}; is {pre_url} a Vosk model site?", reason=what) from None
        except ValueError as exc:  # the list is not JSON (requests' JSONDecodeError is a ValueError)
            what = f"{list_url} is not a Vosk model list ({' '.join(str(exc).split())})"
            raise ModelError(what, reason=what) from None
        except zipfile.BadZipFile:
            raise ModelError(f"{pre_url}{name}.zip is not a zip archive; is {pre_url} a Vosk model site?",
                             reason=f"{pre_url}{name}.zip is not a zip archive") from None
        except Exception as exc:  # noqa: BLE001 - classified below
            if network_error(exc):
                raise ModelError(f"cannot reach {host} to download {name} ({reason(exc)}); on a machine "
                                 f"with internet run `assistant model download {name}`, then copy the folder "
                                 f"{name} into {MODELS_DIR}",
                                 reason=f"cannot reach {host}: {reason(exc)}") from None
            if isinstance(exc, OSError):
                raise ModelError(f"cannot write the model {name} into {dest} ({exc.strerror or exc})",
                                 reason=f"cannot write into {dest}: {exc.strerror or exc}") from None
            raise
        unpacked = staging / name
        if not is_model(unpacked):
            held = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
            got = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "") or "nothing"
            raise ModelError(f"{pre_url}{name}.zip did not unpack to a Vosk model folder {name}/ "
                             f"(it held: {got}); a model folder holds {_MODEL_FILES}",
                             reason=f"{name}.zip did not unpack to a Vosk model folder")
        os.replace(unpacked, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # innermost first; only folders this call created and left empty
            with contextlib.suppress(OSError):
                folder.rmdir()
    return target, expect["checked"]


def list_models(base: str | None = None) -> list[str]:
    """The model names in BASE/model-list.json (BASE as for download)."""
    import requests

    url = site_url(base) + "model-list.json"
    try:
        _resolve(url)
        response = requests.get(url, timeout=(CONNECT_TIMEOUT, DOWNLOAD_TIMEOUT))
        response.raise_for_status()
        return [m["name"] for m in response.json()]
    except requests.HTTPError as exc:
        raise ModelError(f"{url} answered HTTP {exc.response.status_code}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{url} is not a Vosk model list ({' '.join(str(exc).split())})") from None
    except Exception as exc:  # noqa: BLE001
        if network_error(exc):
            raise ModelError(f"cannot reach {urlsplit(url).netloc or url} to list the models "
                             f"({reason(exc)})") from None
        raise
