"""The machine-wide state directory: run lock, undelivered messages, fingerprint key. Owner-only."""

from __future__ import annotations

import errno
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from secret_scanner.errors import StateError

log = logging.getLogger(__name__)
_SET_ASIDE_PREFIX = "untrusted-"


def default_state_dir() -> Path:
    """The per-OS machine location when privileged (the job runs as SYSTEM/root), else a per-user one.

    A person trying the scanner from their own account cannot write the machine location; a private
    per-user directory keeps their fingerprint key and lock apart from the agent's.
    """
    if sys.platform == "win32":
        if _is_windows_admin():
            return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "SecretScanner"
        return Path(os.environ.get("LOCALAPPDATA", str(Path.home() / "AppData" / "Local"))) / "SecretScanner"
    privileged = os.geteuid() == 0
    if sys.platform == "darwin":
        if privileged:
            return Path("/Library/Application Support/SecretScanner")
        return Path.home() / "Library" / "Application Support" / "SecretScanner"
    if privileged:
        return Path("/var/lib/secret-scanner")
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "secret-scanner"


def _is_windows_admin() -> bool:
    try:
        import ctypes

        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except (OSError, AttributeError):
        return False


def ensure_state_dir(path: Path) -> Path:
    """Create `path` owner-only, or check that an existing one is a real directory nobody else can write."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError as exc:
        raise StateError(f"cannot create state directory {path}: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StateError(f"state directory {path} is not a plain directory")
    if sys.platform == "win32":
        _restrict_windows_acl(path)
        return path
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise StateError(f"state directory {path} is owned by uid {info.st_uid}, not by this user")
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            path.chmod(0o700)
        except OSError as exc:
            raise StateError(f"cannot make state directory {path} owner-only: {exc.strerror or exc}") from exc
        if stat.S_IMODE(info.st_mode) & 0o022:
            # Others could write here: whatever is inside may be planted (issue #11). Fixing the mode is
            # not enough; nothing in it is trusted.
            _set_aside_everything(path)
    return path


def _set_aside_everything(path: Path) -> None:
    """Move every entry of a directory others could write into a fresh quarantine folder (mkdir fails if it
    exists, so the attacker cannot have prepared it)."""
    entries = [entry for entry in os.listdir(path) if not entry.startswith(_SET_ASIDE_PREFIX)]
    if not entries:
        return
    target = path / f"{_SET_ASIDE_PREFIX}{time.time_ns()}"
    try:
        target.mkdir(mode=0o700)
        for name in entries:
            os.replace(path / name, target / name)
    except OSError as exc:
        raise StateError(f"state directory {path} was writable by others and its content cannot be set "
                         f"aside ({exc.strerror or exc}): remove everything in it, then run again") from exc
    log.warning("state directory %s was writable by others: its %d entr%s moved to %s, none is trusted",
                path, len(entries), "y" if len(entries) == 1 else "ies", target)


def ensure_private_subdir(parent: Path, name: str) -> Path:
    """`parent/name` as an owner-only real directory. A symlink or a directory of another owner or with a
    mode others can write (planted) is moved aside first; OSError when a non-directory is in the way."""
    path = parent / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        path.mkdir(mode=0o700)
        return path
    planted = stat.S_ISLNK(info.st_mode) or (stat.S_ISDIR(info.st_mode) and sys.platform != "win32" and (
        info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o022))
    if planted:
        aside = parent / f"{_SET_ASIDE_PREFIX}{time.time_ns()}-{name}"
        os.replace(path, aside)
        log.warning("%s was not a private directory of this account (planted?): moved to %s", path, aside)
        path.mkdir(mode=0o700)
        return path
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
    if sys.platform != "win32" and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)
    return path


def _restrict_windows_acl(path: Path) -> None:
    # ProgramData inherits read access for Users; keep only SYSTEM and Administrators.
    command = [
        "icacls", str(path), "/inheritance:r",
        "/grant:r", "*S-1-5-18:(OI)(CI)F", "/grant:r", "*S-1-5-32-544:(OI)(CI)F",
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise StateError(f"cannot restrict access to state directory {path}") from exc
