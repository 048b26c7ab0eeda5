"""What a person said stays theirs: a log is created owner-only whatever the umask, an existing
one is narrowed, appended to and never truncated; a link, another account's file, anything but a
regular file, a missing folder, a read-only or full disk are refused in one line, nothing written;
a disk that fills mid-session stops the log with one warning and keeps what it holds."""

from __future__ import annotations

import errno
import io
import logging
import os
import stat
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant import private_files
from assistant.cli.main import main
from assistant.errors import InputError
from assistant.private_files import open_private
from assistant.room import events as events_module
from assistant.room.events import Events, TranscriptLog

NOBODY = 65534


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@contextmanager
def umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def refused(path: Path, what: str = "--transcript") -> str:
    with pytest.raises(InputError) as caught:
        open_private(path, what).close()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{what} {path}"), message
    return message


def foreign(path: Path, monkeypatch) -> None:
    """`path` owned by another account: for real as root (uid 65534, nobody); otherwise the
    process is made to look like another account (the one fault-injection fake here)."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    else:
        uid = os.geteuid() + 1
        monkeypatch.setattr(private_files.os, "geteuid", lambda: uid)


# -- created owner-only, whatever the umask ------------------------------------------------------

@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077, 0o277])
def test_a_new_log_is_owner_only_whatever_the_umask(tmp_path, mask, caplog):
    for what, path in (("--transcript", tmp_path / "t.txt"), ("--events", tmp_path / "e.jsonl")):
        with umask(mask):
            with open_private(path, what) as f:
                f.write("you: he hit me\n")
        assert mode(path) == 0o600, f"umask {mask:03o}: {stat.filemode(os.stat(path).st_mode)}"
        assert path.read_text() == "you: he hit me\n"
    assert not caplog.records  # a new file is no news


def test_the_logs_classes_create_owner_only_files_under_umask_000(tmp_path):
    with umask(0):
        log, ev = TranscriptLog(tmp_path / "t.txt"), Events.open(tmp_path / "e.jsonl")
        log.write("you", "he hit me")
        ev.write(transcript="he hit me")
        log.close(), ev.close()
    assert mode(tmp_path / "t.txt") == mode(tmp_path / "e.jsonl") == 0o600


def test_a_wider_log_of_ones_own_is_narrowed_with_one_line_and_appended_to(tmp_path, caplog):
    path = tmp_path / "t.txt"
    path.write_text("you: what was said last week\n")
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        with open_private(path, "--transcript") as f:
            f.write("you: tonight\n")
    assert mode(path) == 0o600
    assert path.read_text() == "you: what was said last week\nyou: tonight\n"  # appended, never truncated
    (record,) = caplog.records
    assert "could be read by other accounts (-rw-r--r--)" in record.getMessage()
    assert "\n" not in record.getMessage()


def test_an_owner_only_log_is_left_as_it_is(tmp_path, caplog):
    path = tmp_path / "t.txt"
    path.write_text("kept\n")
    os.chmod(path, 0o600)
    with open_private(path, "--transcript") as f:
        f.write("more\n")
    assert mode(path) == 0o600 and path.read_text() == "kept\nmore\n" and not caplog.records


# -- never through a link, never into another account's file ---------------------------------------

@pytest.mark.parametrize("target", ["own file", "nothing", "another account's file"])
def test_a_symlinked_log_is_refused_and_nothing_is_written(tmp_path, target, monkeypatch):
    planted = tmp_path / "where-they-chose.txt"
    if target != "nothing":
        planted.write_text("theirs\n")
        os.chmod(planted, 0o644)
        if target == "another account's file":
            foreign(planted, monkeypatch)
    link = tmp_path / "log.txt"
    link.symlink_to(planted)
    assert "is a symbolic link" in refused(link)
    assert os.path.islink(link)
    if target == "nothing":
        assert not planted.exists()  # not created through the link
    else:
        assert planted.read_text() == "theirs\n" and mode(planted) == 0o644


def test_another_accounts_log_is_refused_even_for_root(tmp_path, monkeypatch):
    path = tmp_path / "shared.txt"
    path.write_text("someone else's\n")
    os.chmod(path, 0o666)
    foreign(path, monkeypatch)
    message = refused(path)
    assert "belongs to another account" in message and "give a new file name" in message
    assert path.read_text() == "someone else's\n" and mode(path) == 0o666  # neither written nor narrowed


def test_another_accounts_file_it_cannot_open_is_named_as_such(tmp_path, monkeypatch):
    path = tmp_path / "theirs.txt"
    path.write_text("")
    foreign(path, monkeypatch)

    def denied(*args, **kwargs):  # what a user who is not root meets: the open itself is refused
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(private_files.os, "open", denied)
    assert "belongs to another account" in refused(path)


# -- only a regular file ----------------------------------------------------------------------------

def test_a_fifo_is_refused_at_once_with_or_without_a_reader(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "is a named pipe (FIFO), not a regular file" in refused(fifo)  # no reader: no hang either
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert "is a named pipe (FIFO), not a regular file" in refused(fifo, "--events")
        assert os.read(reader, 10) == b""  # nothing was written into it (and its writer is gone)
    finally:
        os.close(reader)


def test_a_folder_and_a_device_are_refused(tmp_path):
    assert "is a folder, not a regular file" in refused(tmp_path)
    assert "is a character device, not a regular file" in refused(Path("/dev/null"), "--events")


# -- bad places: one line naming it, nothing left behind ------------------------------------------------

def test_a_log_in_a_folder_that_does_not_exist_names_the_folder(tmp_path):
    missing = tmp_path / "no-such-folder"
    message = refused(missing / "t.txt")
    assert f"the folder {missing} does not exist" in message
    assert not missing.exists()  # no folder made behind the user's back
    (tmp_path / "a-file").write_text("")
    assert "is not a folder" in refused(tmp_path / "a-file" / "t.txt")


def test_a_read_only_disk_is_one_line(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):  # fault injection: the disk is mounted read-only
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(private_files.os, "open", read_only)
    assert "read-only disk" in refused(tmp_path / "t.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_a_folder_without_write_permission_is_one_line(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    assert "permission denied" in refused(folder / "t.txt")


def test_a_full_disk_at_start_up_is_one_line_and_no_file(tmp_path, monkeypatch):
    real = os.statvfs

    def full(path):  # fault injection: no free block left
        st = real(path)
        return os.statvfs_result((st.f_bsize, st.f_frsize, st.f_blocks, 0, 0, *tuple(st)[5:]))

    monkeypatch.setattr(private_files.os, "statvfs", full)
    assert "the disk is full" in refused(tmp_path / "t.txt")
    assert list(tmp_path.iterdir()) == []


# -- a disk that fills mid-session -------------------------------------------------------------------

def fill_disk_under(stream) -> None:
    """From now on every write to this open file fails with ENOSPC, from the kernel: /dev/full
    put in the place of the file's descriptor (the file itself is untouched)."""
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, stream.fileno())
    os.close(full)


def test_a_full_disk_mid_session_warns_once_and_keeps_what_was_written(tmp_path, caplog):
    path = tmp_path / "t.txt"
    path.write_text("you: last week\n")
    os.chmod(path, 0o600)
    log = TranscriptLog(path)
    log.write("you", "i need a break")
    fill_disk_under(log.stream)
    with caplog.at_level(logging.WARNING):
        log.write("assistant", "This is box breathing.")
        log.write("you", "goodbye")  # the log has stopped: no second warning, no error
        log.close()
    assert path.read_text() == "you: last week\nyou: i need a break\n"
    (record,) = caplog.records
    assert record.getMessage().startswith(f"--transcript {path}: could not write (No space left on device)")
    assert "carrying on without it" in record.getMessage()


def test_the_events_log_survives_a_full_disk_too(tmp_path, caplog):
    path = tmp_path / "e.jsonl"
    ev = Events.open(path)
    ev.write(event="turn", transcript="he hit me")
    fill_disk_under(ev.stream)
    with caplog.at_level(logging.WARNING):
        ev.write(event="turn", transcript="goodbye")
        ev.write(event="session")
        ev.close()
    assert path.read_text().count("\n") == 1 and "he hit me" in path.read_text()
    assert len(caplog.records) == 1 and "--events" in caplog.records[0].getMessage()


def test_chat_carries_on_when_the_disk_fills_under_its_transcript(tmp_path, monkeypatch, capsys, caplog):
    path = tmp_path / "t.txt"
    path.write_text("you: last week\n")
    real = events_module.open_private

    class FillsAfter:  # the real log file; the disk fills after the first three lines
        def __init__(self, stream):
            self.stream, self.lines = stream, 0

        def write(self, text):
            self.lines += 1
            if self.lines == 4:
                fill_disk_under(self.stream)
            return self.stream.write(text)

        def flush(self):
            self.stream.flush()

        def close(self):
            self.stream.close()

    monkeypatch.setattr(events_module, "open_private", lambda p, what: FillsAfter(real(p, what)))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"i need a break\nexplain step three\ngoodbye\n")))
    with caplog.at_level(logging.WARNING):
        assert main(["chat", "--transcript", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("This is box breathing.") and out[-1].startswith("Take care")  # every turn answered
    kept = path.read_text().splitlines()
    assert kept[0] == "you: last week" and kept[2] == "you: i need a break" and len(kept) == 4
    assert [r.getMessage().split(":")[0] for r in caplog.records if "could not write" in r.getMessage()] == \
        [f"--transcript {path}"]


def test_a_bad_log_path_stops_chat_at_start_up_with_exit_2(tmp_path, monkeypatch, capsys):
    link = tmp_path / "t.txt"
    link.symlink_to(tmp_path / "elsewhere.txt")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"he hit me\n")))
    assert main(["chat", "--transcript", str(link)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "is a symbolic link" in err
    assert not (tmp_path / "elsewhere.txt").exists()


def test_a_symlinked_log_named_in_the_config_file_is_refused_too(tmp_path, monkeypatch, capsys):
    (tmp_path / "victim.txt").write_text("someone else's\n")
    (tmp_path / "cfglink.txt").symlink_to(tmp_path / "victim.txt")
    config = tmp_path / "config.yaml"
    config.write_text("transcript: cfglink.txt\n")  # relative to the config file's folder
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"he hit me\n")))
    assert main(["--config", str(config), "chat"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "is a symbolic link" in err
    assert (tmp_path / "victim.txt").read_text() == "someone else's\n"
