"""Privacy by default: a whole conversation, typed or from audio, spoken aloud, leaves no file
anywhere (working folder, home, temp); only --transcript and --events write, where told, readable
by the user alone; the caches hold shipped sentences only, never what a person said."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest
import yaml

from assistant.dialogue.content import load_content
from assistant.dialogue.session import DialogueSettings
from assistant.errors import ContentFileError
from assistant.understanding import catalogue_cache
from assistant.understanding.catalogue_cache import cached_catalogue
from assistant.understanding.encoder import cache_dir
from tests.conftest import ROOT, run_test
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


def assistant(env, cwd, *args, stdin: bytes = b"", umask: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          env=env, cwd=cwd, timeout=180, preexec_fn=None if umask is None else lambda: os.umask(umask))


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


# -- every command, logging off and on ------------------------------------------------------------

# Words nobody ships: if they turn up in any file, something kept what a person said.
SECRET = ("quillfeather", "marzipan lighthouse")
SAID = b"he hit me near the marzipan lighthouse\nmy name is quillfeather and i need a break\ngoodbye\n"
LOG_NOTE = "being saved on this device"  # content/safety.yaml log_note, said only when a log is on


@pytest.fixture
def private_cache(watched, tmp_path):
    """A cache folder of this test's own, warmed with the catalogue and its embeddings by a command
    that is told nothing secret (`ask hello`): anything a later command adds or changes in it shows."""
    dirs, env = watched
    cache = tmp_path / "cache"
    (cache / "assistant").mkdir(parents=True)
    shipped = cache_dir() / f"catalogue-{catalogue_cache._key(ROOT / 'intents')}.json"  # not other tests' catalogues
    for path in [*cache_dir().glob("sentences-*.npy"), *cache_dir().glob("keys-*.npy"), *([shipped] if shipped.exists() else [])]:
        shutil.copy(path, cache / "assistant" / path.name)  # copied so the warm-up need not embed again
    env = dict(env, XDG_CACHE_HOME=str(cache))
    warm = assistant(env, dirs["work"], "ask", "hello")
    assert warm.returncode == 0, warm.stderr
    return dirs, env, cache


def snapshot(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def holding(folders, words) -> list[str]:
    """Files under the folders whose bytes hold any of the words (UTF-8 or UTF-16, any case)."""
    needles = [n for w in words if len(w) >= 6 for n in (w.lower().encode(), w.lower().encode("utf-16-le"))]
    return sorted(str(p) for folder in folders for p in folder.rglob("*") if p.is_file()
                  and any(n in p.read_bytes().lower() for n in needles))


def test_no_command_keeps_what_was_said_anywhere_nor_in_a_cache(private_cache):
    dirs, env, cache = private_cache
    before = snapshot(cache)
    wav = dirs["work"] / "said.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "my name is quillfeather and i need a break"], check=True)
    heard = list(SECRET)
    runs = {
        "chat": ("chat",), "ask": ("ask", SAID.decode().splitlines()[1], "--json"), "ask -": ("ask", "--json", "-"),
        "listen (typed, no microphone)": ("listen", "--input-device", "no-such-mic", "--output-device", "pulse"),
        "transcribe": ("transcribe", str(wav), "--json"), "ask --audio": ("ask", "--audio", str(wav), "--json"),
        "say": ("say", "quillfeather, the marzipan lighthouse.", "--output-device", "pulse"),
        "breathe": ("breathe", "--pattern", "sigh", "--cycles", "1", "--output-device", "pulse"),
    }
    for name, args in runs.items():
        result = assistant(env, dirs["work"], *args, stdin=SAID)
        assert result.returncode == 0, f"{name}: {result.stderr.decode()}"
        assert LOG_NOTE not in result.stdout.decode(), f"{name}: spoke of a log with none on"
        if name == "transcribe":
            heard.append(json.loads(result.stdout)["text"])  # what the recogniser made of it, kept nowhere either
        assert files_in(dirs) == [str(wav)], f"{name} left files: {files_in(dirs)}"
    assert "he hit me" not in heard and len(heard[-1]) >= 6, heard
    assert holding([*dirs.values(), cache], heard) == []
    assert snapshot(cache) == before  # no command added or changed a cache file
    shipped = {s.text for s in cached_catalogue(ROOT / "intents").sentences}
    for path in (cache / "assistant").iterdir():  # and what is cached is the shipped sentences' numbers and
        if path.name.startswith("catalogue-"):  # expansions, no pickle, nothing else
            assert {s[0] for s in json.loads(path.read_text())["sentences"]} <= shipped
            continue
        if path.name.startswith("keys-"):  # a number per cached row (a hash of its sentence)
            assert np.load(path, allow_pickle=False).dtype == np.uint64
            continue
        vectors = np.load(path, allow_pickle=False)
        assert path.name.startswith("sentences-") and vectors.dtype == np.float32 and vectors.shape[1] == 384


@pytest.mark.parametrize("mask", [0o000, 0o022])
def test_logs_are_written_only_where_told_readable_by_the_user_alone(watched, mask):
    dirs, env = watched
    work = dirs["work"]
    chat = assistant(env, work, "chat", "--transcript", str(work / "chat.txt"), stdin=SAID, umask=mask)
    listen = assistant(env, work, "listen", "--input-device", "no-such-mic", "--output-device", "pulse",
                       "--transcript", str(work / "listen.txt"), "--events", str(work / "events.jsonl"),
                       stdin=SAID, umask=mask)
    for result in (chat, listen):
        assert result.returncode == 0, result.stderr
        assert LOG_NOTE in result.stdout.decode()  # the safety answer says a log is being kept
    assert files_in(dirs) == sorted(str(work / name) for name in ("chat.txt", "events.jsonl", "listen.txt"))
    for name in ("chat.txt", "events.jsonl", "listen.txt"):
        assert stat.S_IMODE(os.stat(work / name).st_mode) == 0o600, f"{name} under umask {mask:03o}"
    assert holding([work], SECRET) == [str(work / "chat.txt"), str(work / "listen.txt")]  # the finder finds
    for name in ("chat.txt", "listen.txt"):
        lines = (work / name).read_text().splitlines()
        assert lines[1] == "you: he hit me near the marzipan lighthouse" and LOG_NOTE in lines[2], lines


def test_a_log_path_that_cannot_be_used_safely_stops_at_start_up(watched, tmp_path):
    dirs, env = watched
    work = dirs["work"]
    elsewhere = tmp_path / "chosen-by-someone-else.txt"
    (work / "link.txt").symlink_to(elsewhere)
    os.mkfifo(work / "pipe")
    for args in (("chat", "--transcript", str(work / "link.txt")),
                 ("listen", "--input-device", "no-such-mic", "--events", str(work / "pipe")),
                 ("chat", "--transcript", str(work / "no-such-folder" / "t.txt"))):
        result = assistant(env, work, *args, stdin=SAID)
        err = result.stderr.decode()
        assert result.returncode == 2 and err.count("\n") == 1 and err.startswith("assistant: error: --"), err
        assert result.stdout == b""  # nothing said, nothing written
    assert not elsewhere.exists() and not (work / "no-such-folder").exists()


def test_the_safety_answer_mentions_the_log_only_when_one_is_kept(app):
    (_, off), = run_test(app, ["he hit me"], ["safety"])
    (_, on), = run_test(app, ["he hit me"], ["safety"], DialogueSettings(logs_kept=True))
    note = app.content.safety_log_note
    assert LOG_NOTE in note and note not in off.text
    assert on.text.replace(" [pause] " + note, "") == off.text  # one line more, before the close


def test_the_log_note_is_required_content(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    safety = (content / "safety.yaml").read_text()
    (content / "safety.yaml").write_text("".join(line for line in safety.splitlines(keepends=True)
                                                 if not line.startswith("log_note:")))
    with pytest.raises(ContentFileError, match="missing required key 'log_note'"):
        load_content(content)
