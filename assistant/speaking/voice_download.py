"""`assistant voice download NAME` and `voice list`: Piper voices from the official Piper voices
host. With hearing/model_download.py (the Vosk model), the only module that opens a connection,
and only for these explicit commands.

The design is the Vosk downloader's: the host's own catalogue first (BASE/voices.json, which
lists each voice's files with their size and md5), then the files (BASE/PATH), with progress on
stderr, into a hidden folder inside models/; they are checked against the catalogue and moved
into place only when complete and right, so an interrupted or corrupt download leaves nothing
behind. Beside NAME.onnx and NAME.onnx.json it writes NAME.sha256, the digests the voice is
checked against each time it is loaded (assistant/speaking/piper_tts.py). BASE is --url, else
$ASSISTANT_PIPER_URL, else the host piper-tts itself downloads from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Mapping
from urllib.error import HTTPError
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

from assistant.download import network_error, reason
from assistant.errors import VoiceDownloadError
from assistant.speaking.piper_voices import MODELS_DIR, read_record, record_path, sha256_of, write_record

ENV_URL = "ASSISTANT_PIPER_URL"  # where voices.json and the voice files are, instead of the official host
TIMEOUT = 30.0  # seconds a stalled connection may stay silent
BLOCK = 1 << 16  # bytes read at a time
_NAME = re.compile(r"^[a-z]{2,3}_[A-Za-z0-9]+-[A-Za-z0-9_]+-[a-z_]+$")  # en_US-lessac-medium


def site_url(url: str | None = None, env: Mapping[str, str] = os.environ) -> str:
    """BASE, ending with a slash: `url`, else $ASSISTANT_PIPER_URL, else piper-tts's own host."""
    from piper.download_voices import URL_FORMAT

    chosen = url or env.get(ENV_URL, "").strip() or URL_FORMAT.split("{lang_family}")[0]
    return chosen if chosen.endswith("/") else chosen + "/"


def _fail(exc: BaseException, url: str, doing: str) -> VoiceDownloadError:
    if isinstance(exc, HTTPError):
        return VoiceDownloadError(f"{url} answered HTTP {exc.code} {' '.join(str(exc.reason).split())} "
                                  f"while {doing}")
    if network_error(exc) or isinstance(exc, OSError):
        return VoiceDownloadError(f"cannot reach {urlsplit(url).netloc or url} while {doing} ({reason(exc)}); "
                                  f"on a machine with internet run `assistant voice download`, then copy the "
                                  f"NAME.onnx, NAME.onnx.json and NAME.sha256 files into {MODELS_DIR}")
    return VoiceDownloadError(f"{doing} failed ({exc})")


def catalogue(base: str | None = None) -> dict:
    """BASE/voices.json: voice name -> {"files": {PATH: {"size_bytes", "md5_digest"}}, ...}."""
    url = site_url(base) + "voices.json"
    try:
        with urlopen(url, timeout=TIMEOUT) as response:
            voices = json.loads(response.read())
    except ValueError as exc:
        raise VoiceDownloadError(f"{url} is not a Piper voice list ({' '.join(str(exc).split())})") from None
    except Exception as exc:  # noqa: BLE001 - classified by _fail
        raise _fail(exc, url, "reading the voice list") from None
    if not isinstance(voices, dict):
        raise VoiceDownloadError(f"{url} is not a Piper voice list (not a JSON object)")
    return voices


def list_voices(base: str | None = None) -> list[str]:
    return sorted(catalogue(base))


def _fetch(url: str, target: Path, size: int | None, progress: bool) -> tuple[str, str, int]:
    """Download `url` to `target`; its (md5, sha256, bytes). Progress on stderr."""
    md5, sha = hashlib.md5(), hashlib.sha256()  # md5: the digest voices.json gives
    got, shown, name = 0, 0.0, target.name
    with urlopen(url, timeout=TIMEOUT) as response, open(target, "wb") as out:
        total = size or int(response.headers.get("Content-Length") or 0)
        for block in iter(lambda: response.read(BLOCK), b""):
            out.write(block)
            md5.update(block)
            sha.update(block)
            got += len(block)
            if progress and (time.monotonic() - shown > 0.5 or got == total):
                shown = time.monotonic()
                of = f" of {total / 1e6:.1f} MB ({100 * got // total}%)" if total else " MB"
                print(f"\rassistant: downloading {name}: {got / 1e6:.1f}{of}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr, flush=True)
    return md5.hexdigest(), sha.hexdigest(), got


def _verified(model: Path) -> bool:
    """NAME.onnx and NAME.onnx.json are there and match the digests recorded at download."""
    record = read_record(model)
    config = model.with_name(model.name + ".json")
    return bool(record) and all(p.is_file() and record.get(p.name) == sha256_of(p) for p in (model, config))


def download(name: str, dest: Path = MODELS_DIR, base_url: str | None = None, progress: bool = True) -> Path:
    """Fetch the Piper voice NAME into DEST (NAME.onnx, NAME.onnx.json, NAME.sha256); its .onnx path.
    When DEST already holds it, checked, says so and downloads nothing; a copy that fails its check
    is downloaded again and replaced."""
    if not _NAME.match(name or ""):
        raise VoiceDownloadError(f"{name!r} is not a Piper voice name (such as en_US-lessac-medium: "
                                 "language_REGION-name-quality)")
    dest = Path(dest).expanduser()
    model = dest / f"{name}.onnx"
    if _verified(model):
        print(f"assistant: {model} already holds the voice {name} (checksums match); nothing downloaded",
              file=sys.stderr)
        return model
    base = site_url(base_url)
    voices = catalogue(base)
    entry = voices.get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict):
        raise VoiceDownloadError(f"no voice named {name} in {base}voices.json; `assistant voice list` shows the "
                                 "names there")
    wanted = {}
    for filename in (f"{name}.onnx", f"{name}.onnx.json"):
        path = next((p for p in entry["files"] if p.rsplit("/", 1)[-1] == filename), None)
        if path is None:
            raise VoiceDownloadError(f"{base}voices.json lists no file {filename} for the voice {name}")
        wanted[filename] = (path, entry["files"][path])
    made = [d for d in (dest, *dest.parents) if not d.exists()]  # removed again if nothing arrives
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.download-", dir=dest))
    except OSError as exc:
        raise VoiceDownloadError(f"cannot create a folder in {dest} for the voice ({exc.strerror or exc})") from None
    try:
        digests = {}
        for filename, (path, info) in wanted.items():
            url = base + quote(path)
            size = info.get("size_bytes") if isinstance(info, dict) else None
            try:
                md5, sha, got = _fetch(url, staging / filename, size, progress)
            except Exception as exc:  # noqa: BLE001 - classified by _fail
                raise _fail(exc, url, f"downloading {filename}") from None
            expected = (info.get("md5_digest") or "").lower() if isinstance(info, dict) else ""
            if (size and got != size) or (expected and md5 != expected):
                raise VoiceDownloadError(f"{url} arrived damaged ({got} bytes, md5 {md5}; voices.json says "
                                         f"{size} bytes, md5 {expected or '?'}); nothing was kept: try again")
            digests[filename] = sha
        write_record(staging / f"{name}.onnx", digests)
        for filename in (f"{name}.onnx.json", f"{name}.onnx", record_path(model).name):
            os.replace(staging / filename, dest / filename)
    except OSError as exc:
        raise VoiceDownloadError(f"cannot write the voice {name} into {dest} ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # innermost first; only folders this call created and left empty
            with contextlib.suppress(OSError):
                folder.rmdir()
    return model
