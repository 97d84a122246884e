"""The machine-wide state directory: run lock, undelivered messages, fingerprint key. Owner-only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from secret_scanner.errors import StateError


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
