"""The expanded intent catalogue, cached: intents/*.yaml expand to some 20,000 sentences and 100,000
phrases, which takes seconds at every start. Once expanded, the catalogue is kept in
`~/.cache/assistant/catalogue-KEY.json` (plain JSON, no pickle: shipped text only, never anything
said), KEY a hash of the YAML files' paths and bytes and of the code that expands them. An edited
file is a new key, so it is read, checked and expanded again in full (a file with a mistake is
never cached); a cache that cannot be read or written is simply rebuilt or skipped."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from assistant.understanding import intents, normalize
from assistant.understanding.encoder import cache_dir
from assistant.understanding.intents import Catalogue, Phrase, Sentence

log = logging.getLogger(__name__)

VERSION = 1  # bump when the JSON layout changes
KEPT = 4  # catalogues kept (edits, test fixtures), newest first


def _key(directory: Path) -> str | None:
    """The hash of every intents file and of the expanding code; None when a file cannot be read."""
    digest = hashlib.sha256(f"catalogue {VERSION}\n".encode())
    try:
        files = sorted(Path(directory).glob("*.yaml")) if Path(directory).is_dir() else []
        for code in (intents.__file__, normalize.__file__):
            digest.update(Path(code).read_bytes())
        for path in files:
            digest.update(f"\n{path}\n".encode())
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:24] if files else None


def _to_json(cat: Catalogue) -> dict:
    return {"sentences": [[s.text, s.intent, [list(kv) for kv in s.slots], s.source] for s in cat.sentences],
            "intents": list(cat.intents), "sources": cat.sources, "integer_slots": sorted(cat.integer_slots),
            "files": list(cat.files), "slot_values": {k: [list(pv) for pv in v] for k, v in cat.slot_values.items()},
            "phrases": [[p.text, p.intent, p.exception, p.source, [sorted(g) for g in p.groups]] for p in cat.phrases]}


def _from_json(data: dict) -> Catalogue:
    return Catalogue(
        tuple(Sentence(t, i, tuple(tuple(kv) for kv in slots), src) for t, i, slots, src in data["sentences"]),
        tuple(data["intents"]), dict(data["sources"]), frozenset(data["integer_slots"]), tuple(data["files"]),
        {k: tuple(tuple(pv) for pv in v) for k, v in data["slot_values"].items()},
        tuple(Phrase(t, i, bool(e), src, tuple(frozenset(g) for g in groups)) for t, i, e, src, groups in data["phrases"]))


def cached_catalogue(directory: Path, folder: Path | None = None) -> Catalogue:
    """intents.load_catalogue(directory), from the cache when these files were expanded before."""
    key = _key(directory)
    if key is None:
        return intents.load_catalogue(directory)  # its own clear error for a missing folder or file
    folder = folder or cache_dir()
    path = folder / f"catalogue-{key}.json"
    try:
        return _from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    catalogue = intents.load_catalogue(directory)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = folder / f".{path.name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(_to_json(catalogue), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
        kept = sorted(folder.glob("catalogue-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEPT:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not cache the expanded intents in %s (%s); they will be expanded again", folder, exc)
    return catalogue
