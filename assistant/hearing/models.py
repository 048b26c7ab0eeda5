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
models/ (hearing/model_download.py; with speaking/voice_download.py the only modules that open a
connection, and only for those explicit commands). `python -m assistant.cli.model --setup` is the
same download of the default English model, once, as scripts/setup.sh runs it: one line, exit 0.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Mapping

from assistant.errors import ModelError

ROOT = Path(__file__).resolve().parents[2]
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
