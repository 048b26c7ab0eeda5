"""`assistant voice download NAME` against a real HTTP server on the loopback interface laid out
like the Piper voices host (voices.json, then LANG/LANG_REGION/NAME/QUALITY/FILE), serving the
real joe voice under another name. No other network."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

from assistant.audio import read_wav
from assistant.speaking import piper_tts, voice_download
from assistant.speaking.voice_download import VoiceDownloadError
from tests.audio_tools import sounding_seconds
from tests.conftest import run_cli
from tests.test_model_download import UNREACHABLE, Site

NAME = "en_US-testjoe-medium"  # joe's files, served under this name
DAMAGED = "en_US-damaged-medium"  # listed with an md5 its file does not have
MISSING = "en_US-missing-medium"  # listed; no files on the server


def md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("voices")
    joe = piper_tts.bundled()
    voices = {}
    for name in (NAME, DAMAGED, MISSING):
        folder = f"en/en_US/{name.split('-')[1]}/medium"
        (root / folder).mkdir(parents=True)
        files = {}
        for source, suffix in ((joe.model, ".onnx"), (joe.config, ".onnx.json")):
            target = root / folder / f"{name}{suffix}"
            if name != MISSING:
                os.symlink(source, target)
            files[f"{folder}/{name}{suffix}"] = {"size_bytes": source.stat().st_size, "md5_digest": md5(source)}
        voices[name] = {"key": name, "name": name.split("-")[1], "quality": "medium", "num_speakers": 1,
                        "language": {"code": "en_US", "family": "en", "region": "US"}, "files": files, "aliases": []}
    voices[DAMAGED]["files"][f"en/en_US/damaged/medium/{DAMAGED}.onnx"]["md5_digest"] = "0" * 32
    (root / "voices.json").write_text(json.dumps(voices), encoding="utf-8")
    s = Site(root)
    yield s
    s.close()


def test_download_fetches_both_files_with_progress_and_records_their_checksums(site, tmp_path):
    dest = tmp_path / "models"
    result = run_cli("voice", "download", NAME, "--url", site.url, "--dest", str(dest), timeout=120)
    assert result.returncode == 0, result.stderr
    model = dest / f"{NAME}.onnx"
    assert result.stdout.decode().strip() == str(model)
    assert "downloading en_US-testjoe-medium.onnx" in result.stderr.decode() and "(100%)" in result.stderr.decode()
    assert sorted(p.name for p in dest.iterdir()) == [f"{NAME}.onnx", f"{NAME}.onnx.json", f"{NAME}.sha256"]
    record = piper_tts.read_record(model)
    assert record == {model.name: piper_tts.BUNDLED_SHA256[f"{piper_tts.BUNDLED}.onnx"],
                      f"{NAME}.onnx.json": piper_tts.BUNDLED_SHA256[f"{piper_tts.BUNDLED}.onnx.json"]}
    # the voice speaks, checked against its record
    out = tmp_path / "say.wav"
    said = run_cli("say", "I'm here.", "--voice", str(model), "--out", str(out))
    assert said.returncode == 0 and said.stderr.decode().strip() == f"wrote {out} (piper voice {NAME})"
    assert sounding_seconds(read_wav(out)) > 0.3
    # a second download finds it intact and fetches nothing
    before = len(site.requests)
    again = run_cli("voice", "download", NAME, "--url", site.url, "--dest", str(dest))
    assert again.returncode == 0 and "nothing downloaded" in again.stderr.decode() and len(site.requests) == before


def test_a_download_truncated_later_is_refused_at_load_and_fetched_again(site, tmp_path):
    dest = tmp_path / "models"
    model = voice_download.download(NAME, dest, site.url, progress=False)
    model.write_bytes(model.read_bytes()[:100_000])
    out = tmp_path / "say.wav"
    result = run_cli("say", "I'm here.", "--voice", str(model), "--out", str(out))
    assert result.returncode == 0 and sounding_seconds(read_wav(out)) > 0.3  # pyttsx3 spoke instead
    warning = result.stderr.decode().splitlines()[0]
    assert str(model) in warning and "does not match its checksum" in warning and "speaking with pyttsx3" in warning
    assert voice_download.download(NAME, dest, site.url, progress=False) == model
    assert piper_tts.sha256_of(model) == piper_tts.BUNDLED_SHA256[f"{piper_tts.BUNDLED}.onnx"]


@pytest.mark.parametrize("name, words", [
    (DAMAGED, "arrived damaged"),
    (MISSING, "answered HTTP 404"),
    ("en_US-nobody-medium", "no voice named en_US-nobody-medium"),
    ("../../etc/passwd", "is not a Piper voice name"),
])
def test_a_failed_download_is_one_line_and_leaves_nothing(site, tmp_path, name, words):
    dest = tmp_path / "models"
    result = run_cli("voice", "download", name, "--url", site.url, "--dest", str(dest))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("assistant: downloading")]
    assert len(lines) == 1 and words in lines[0], err
    assert not dest.exists()  # not even the folder it would have made


def test_an_unreachable_host_is_one_line_with_the_offline_fix(tmp_path):
    with pytest.raises(VoiceDownloadError, match="cannot reach 127.0.0.1:1 .*Connection refused.*copy the"):
        voice_download.download(NAME, tmp_path / "models", UNREACHABLE, progress=False)
    assert not (tmp_path / "models").exists()


def test_voice_list_shows_the_names_on_the_host(site):
    result = run_cli("voice", "list", env={voice_download.ENV_URL: site.url})
    assert result.returncode == 0
    assert result.stdout.decode().split() == sorted([NAME, DAMAGED, MISSING])


def test_the_default_host_is_the_one_piper_downloads_from():
    assert voice_download.site_url(env={}) == "https://huggingface.co/rhasspy/piper-voices/resolve/main/"
    assert voice_download.site_url(env={voice_download.ENV_URL: "http://127.0.0.1:9"}) == "http://127.0.0.1:9/"


def test_a_voice_dropped_into_models_is_listed(tmp_path):
    shutil.copyfile(piper_tts.bundled().config, tmp_path / f"{NAME}.onnx.json")
    (tmp_path / f"{NAME}.onnx").write_bytes(b"x")
    found = piper_tts.installed(tmp_path)
    assert [f.name for f in found] == [piper_tts.BUNDLED, NAME] and found[1].sha256 is None
