"""Reading and writing files in the state directory as untrusted input.

The scanner runs as root or SYSTEM, and a state directory that was ever writable by others may hold planted
files: symlinks to root-only files, FIFOs that block a read forever, files owned by another user, or huge
files. Every file is opened without following a symlink and checked after opening (a regular file, owned by
this account, not writable by group or others, within a size bound); what fails is moved aside to
`quarantine/`, never trusted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
import time
from pathlib import Path

from secret_scanner.errors import StateError

log = logging.getLogger(__name__)

QUARANTINE_DIR = "quarantine"
_READ_FLAGS = os.O_RDONLY | sum(getattr(os, name, 0) for name in ("O_BINARY", "O_NOFOLLOW", "O_NONBLOCK",
                                                                   "O_NOCTTY"))
_WRITE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL
                | sum(getattr(os, name, 0) for name in ("O_BINARY", "O_NOFOLLOW", "O_NOCTTY")))


class UntrustedFileError(StateError):
    """A state file is not what this program wrote: wrong type, owner or mode, or too large."""


def read_private_file(path: Path, max_bytes: int) -> bytes | None:
    """The content of an owner-only regular file, or None when it does not exist.

    Raises UntrustedFileError for a symlink, FIFO, device, directory, a file of another owner, a file that
    group or others may write, or one larger than max_bytes; OSError for other read failures.
    """
    try:
        descriptor = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise UntrustedFileError(f"state file {path} is a symbolic link") from exc
        raise
    try:
        info = os.fstat(descriptor)
        _check_trusted(path, info, max_bytes)
        chunks: list[bytes] = []
        remaining = info.st_size
        # Read at most what fstat promised (bounded by max_bytes): a file that grows meanwhile is not followed.
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _check_trusted(path: Path, info: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedFileError(f"state file {path} is not a regular file")
    if sys.platform != "win32":
        if info.st_uid != os.geteuid():
            raise UntrustedFileError(f"state file {path} is owned by uid {info.st_uid}, not by this account")
        if stat.S_IMODE(info.st_mode) & 0o022:
            raise UntrustedFileError(f"state file {path} is writable by group or others")
    if info.st_size > max_bytes:
        raise UntrustedFileError(f"state file {path} is larger than {max_bytes} bytes")


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` atomically to an owner-only file: a fresh temp file (never through a planted link), fsync,
    rename over the target. Raises StateError."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        fd = os.open(tmp, _WRITE_FLAGS, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise StateError(f"cannot write {path}: {exc.strerror or exc}") from exc


def quarantine(state_dir: Path, path: Path, reason: str) -> None:
    """Move an untrusted or unreadable state file aside (renaming never follows a link), with one warning."""
    target_dir = state_dir / QUARANTINE_DIR
    try:
        target_dir.mkdir(mode=0o700, exist_ok=True)
        os.replace(path, target_dir / f"{time.time_ns()}-{path.name}")
        log.warning("%s; moved to %s", reason, target_dir)
    except OSError as exc:
        _unlink_quietly(path)
        log.warning("%s; removed (cannot quarantine: %s)", reason, exc.strerror or exc)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
