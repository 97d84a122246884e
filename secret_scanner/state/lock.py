"""The run lock: one scan at a time per state directory (Startup and interval runs can overlap).

An OS lock on `run.lock` (fcntl.flock on POSIX, msvcrt.locking on Windows) dies with its process, so a run
killed by the agent's timeout never blocks the next one. The holder writes its pid and start time into the
file so that the refused run can say who holds it. The file itself is never deleted: deleting a lock file
while another process opens it is how two runs end up holding two different locks.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from secret_scanner.errors import LockHeldError, StateError
from secret_scanner.state.files import quarantine

LOCK_FILE = "run.lock"
# Windows locks are mandatory: lock a byte far past the text so the holder's pid stays readable.
_WINDOWS_LOCK_OFFSET = 1 << 20


@contextlib.contextmanager
def acquire_run_lock(state_dir: Path) -> Iterator[None]:
    """Hold the run lock for the block; raise LockHeldError at once if another run holds it."""
    path = state_dir / LOCK_FILE
    fd = _open_trusted(state_dir, path)
    try:
        if not _try_lock(fd):
            raise LockHeldError(
                f"another SecretScanner run holds the run lock {path} ({_describe_holder(fd)}); "
                "this run exits without scanning"
            )
        try:
            _write_holder(fd)
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | sum(getattr(os, name, 0) for name in (
    "O_BINARY", "O_NOINHERIT", "O_NOFOLLOW", "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC"))


def _open_trusted(state_dir: Path, path: Path) -> int:
    """The lock file, opened without following a link; a planted one (a symlink to a root-only file, a FIFO,
    another owner's file, a hard link) is quarantined and a fresh one made: we write our pid into it."""
    for _attempt in range(2):
        try:
            fd = os.open(path, _OPEN_FLAGS, 0o600)
        except OSError as exc:
            if os.path.islink(path) or exc.errno in (errno.ELOOP, errno.ENXIO):
                quarantine(state_dir, path, f"run lock {path} is a symbolic link or a special file")
                continue
            raise StateError(f"cannot open run lock {path}: {exc.strerror or exc}") from exc
        problem = _untrusted_reason(os.fstat(fd))
        if problem is None:
            return fd
        os.close(fd)
        quarantine(state_dir, path, f"run lock {path} {problem}")
    raise StateError(f"run lock {path} keeps being replaced by an untrusted file: check who writes {state_dir}")


def _untrusted_reason(info: os.stat_result) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if sys.platform == "win32":
        return None
    if info.st_uid != os.geteuid():
        return f"is owned by uid {info.st_uid}, not by this account"
    if stat.S_IMODE(info.st_mode) & 0o022 or info.st_nlink != 1:
        return "is writable by others or hard-linked"
    return None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        raise StateError(f"cannot lock the run lock file: {exc.strerror or exc}") from exc
    return True


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


def _write_holder(fd: int) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"pid {os.getpid()} started {started}\n".encode("ascii")
    with contextlib.suppress(OSError):  # the note is informative; the lock is what matters
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, text)


def _describe_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text if text.startswith("pid ") and "\n" not in text else "holder unknown"
