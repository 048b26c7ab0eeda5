"""Privacy by default: a whole conversation, typed or from audio, spoken aloud, leaves no file
anywhere (working folder, home, temp); only --transcript and --events write, where told."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from assistant.understanding.encoder import cache_dir
from tests.conftest import ROOT
from tests.pulse import PulseServer


@pytest.fixture
def watched(tmp_path):
    dirs = {name: tmp_path / name for name in ("work", "home", "tmp")}
    for d in dirs.values():
        d.mkdir()
    (tmp_path / "pulse").mkdir()
    server = PulseServer(tmp_path / "pulse")
    env = dict(server.env, HOME=str(dirs["home"]), TMPDIR=str(dirs["tmp"]), XDG_CONFIG_HOME=str(dirs["home"] / ".config"),
               XDG_CACHE_HOME=str(cache_dir().parent), PYTHONDONTWRITEBYTECODE="1")
    yield dirs, env
    server.stop()


def files_in(dirs) -> list[str]:
    # ~/.config/pulse/cookie is libpulse's own (the audio system's client key), not the assistant's
    return sorted(str(p) for d in dirs.values() for p in d.rglob("*")
                  if ".config/pulse" not in str(p) and not str(p).endswith("home/.config"))


def assistant(env, cwd, *args, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          env=env, cwd=cwd, timeout=180)


CONVERSATION = b"i need a break\nhe hit me\nexplain step three\ngoodbye\n"


def test_a_spoken_conversation_leaves_no_file_anywhere(watched):
    dirs, env = watched
    result = assistant(env, dirs["work"], "chat", "--speak", "--output-device", "pulse", stdin=CONVERSATION)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.decode()  # it really spoke, through the virtual speaker
    assert files_in(dirs) == []


def test_answering_an_audio_file_leaves_no_file_anywhere(watched):
    dirs, env = watched
    wav = dirs["work"] / "said.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "i need a break"], check=True)
    result = assistant(env, dirs["work"], "ask", "--audio", str(wav), "--json")
    assert result.returncode == 0, result.stderr
    wav.unlink()
    assert files_in(dirs) == []


def test_transcript_is_written_only_when_asked_and_only_there(watched):
    dirs, env = watched
    log = dirs["work"] / "tonight.txt"
    result = assistant(env, dirs["work"], "chat", "--transcript", str(log), stdin=b"i need a break\ngoodbye\n")
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    assert lines[1] == "you: i need a break" and lines[2].startswith("assistant: This is box breathing.")
    assert lines[-2] == "you: goodbye"
    log.unlink()
    assert files_in(dirs) == []


def test_a_time_out_keeps_nothing_and_ends_with_the_process(watched, tmp_path):
    dirs, env = watched
    content = tmp_path / "content"  # the restart cut to a few words each, so it is said in seconds
    shutil.copytree(ROOT / "content", content)
    words = yaml.safe_load((content / "time_out.yaml").read_text())
    words["restart"]["parts"] = [p.split(".")[0] + "." for p in words["restart"]["parts"]]
    words["responses"]["time_out_close"] = "Step {number} can help."
    (content / "time_out.yaml").write_text(yaml.safe_dump(words))
    result = assistant(env, dirs["work"], "timeout", "--minutes", "1", "--clock-speed", "30",
                       "--output-device", "pulse", "--content", str(content))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.decode()  # agreement, chime and restart went through the speaker
    assert result.stdout.decode().splitlines()[-1].startswith("It's time")
    assert files_in(dirs) == []
