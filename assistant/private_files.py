"""Files that hold what a person said (--transcript, --events, any later log): appended to only,
created owner-only (0600) whatever the umask, never opened through a symbolic link, never into
another account's file, never into anything but a regular file. Every refusal is one line."""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path
from typing import IO

from assistant.errors import InputError

log = logging.getLogger(__name__)

MODE = 0o600  # read and write for the owner, nothing for anyone else
# append only (an existing log is never truncated); no link followed; a FIFO nobody reads fails
# at once (ENXIO) instead of hanging; a terminal device never becomes the controlling one
FLAGS = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


def open_private(path: Path | str, what: str) -> IO[str]:
    """`path` opened to append text, owner-only. `what` names it for the user ("--transcript").

    A new file is created 0600; an existing one of this account with wider permissions is
    narrowed to 0600 (one warning line). InputError, one line, nothing written, when the path is
    a link, another account's file (root's too: root can write it, but must not), not a regular
    file, in a folder that does not exist, on a read-only or full disk, or not writable."""
    path = Path(path)
    name = f"{what} {path}"
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise InputError(f"{name}: the folder {folder} {problem}; create it first or give a file in a folder that exists")
    try:
        disk = os.statvfs(folder)
        if disk.f_blocks and not disk.f_bavail:
            raise InputError(f"{name}: the disk is full; free some space or give a path on another disk")
    except OSError:
        pass  # the open below says what is wrong
    fd, created = _open(path, name)
    try:
        _check(fd, path, name, created)
    except BaseException:
        if created:
            _remove_created(path, fd)
        os.close(fd)
        raise
    return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace", buffering=1)


def _open(path: Path, name: str) -> tuple[int, bool]:
    """(fd, created): a new file made exclusively (mode 0600), else the existing one, no link followed."""
    for _ in range(3):  # a file removed or made between the two opens: try again
        try:
            return os.open(path, FLAGS | os.O_CREAT | os.O_EXCL, MODE), True
        except FileExistsError:  # an existing file, or a link (O_EXCL never follows one)
            pass
        except OSError as exc:
            raise InputError(_refusal(name, path, exc)) from None
        try:
            return os.open(path, FLAGS), False
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputError(_refusal(name, path, exc)) from None
    raise InputError(f"{name}: the file keeps appearing and disappearing; give a path in a folder of yours")


def _check(fd: int, path: Path, name: str, created: bool) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{name}: is {_kind(st.st_mode)}, not a regular file; give the path of a file")
    if st.st_uid != os.geteuid():
        raise InputError(_foreign(name, st.st_uid))
    mode = stat.S_IMODE(st.st_mode)
    if mode == MODE or (not created and not mode & 0o077):
        return
    try:
        os.fchmod(fd, MODE)
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            raise OSError(errno.EPERM, "the disk does not keep permissions")
    except OSError as exc:
        raise InputError(f"{name}: cannot make it readable by you alone ({exc.strerror}); give a path on a disk "
                         "that keeps file permissions") from None
    if not created:
        log.warning("%s could be read by other accounts (%s); it is now readable by you alone (%s)",
                    name, stat.filemode(st.st_mode), stat.filemode(stat.S_IFREG | MODE))


def _refusal(name: str, path: Path, exc: OSError) -> str:
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return (f"{name}: is a symbolic link; what is said here is never written through a link (someone "
                "else may have placed it): give the real file's path or a new file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return f"{name}: is {_kind(st.st_mode)}, not a regular file; give the path of a file"
    if st is not None and st.st_uid != os.geteuid():
        return _foreign(name, st.st_uid)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{name}: cannot write there (permission denied); give a path in a folder of yours"
    if exc.errno == errno.EROFS:
        return f"{name}: cannot write there (read-only disk); give a path on a disk that can be written"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{name}: the disk is full; free some space or give a path on another disk"
    return f"{name}: cannot write there ({exc.strerror or exc})"


def _foreign(name: str, uid: int) -> str:
    return (f"{name}: belongs to another account ({_owner(uid)}); what is said here is never written into "
            "someone else's file: give a new file name of your own")


def _kind(mode: int) -> str:
    return next((kind for test, kind in KINDS if test(mode)), "not a regular file")


def _owner(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name}, uid {uid}"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _remove_created(path: Path, fd: int) -> None:
    """The empty file this call created, removed after a refusal: only if the name still is that file."""
    try:
        ours, there = os.fstat(fd), os.lstat(path)
        if (ours.st_dev, ours.st_ino) == (there.st_dev, there.st_ino) and ours.st_size == 0:
            os.unlink(path)
    except OSError:
        pass
