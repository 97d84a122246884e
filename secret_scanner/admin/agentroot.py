"""Where the KEPM agent is installed on each OS, and which of those places holds a live agent.

Keeper's integration docs and the shipped agents disagree about the install root (see the field notes), so we
know several candidates per OS and take the first one that holds a Jobs/ directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

WINDOWS = "windows"
LINUX = "linux"
MACOS = "macOS"
OS_KEYS = (WINDOWS, LINUX, MACOS)

COMMAND_DIR = PurePosixPath("Jobs", "bin")


def current_os() -> str:
    """This host's OS, spelled like the job's osFilter keys."""
    if sys.platform == "win32":
        return WINDOWS
    if sys.platform == "darwin":
        return MACOS
    return LINUX


def known_roots(os_key: str | None = None) -> tuple[PurePath, ...]:
    """Candidate agent roots for an OS, shipped-agent locations first, documentation examples last."""
    os_key = os_key or current_os()
    if os_key == WINDOWS:
        program_files = os.environ.get("PROGRAMFILES", r"C:\Program Files")
        base = PureWindowsPath(program_files)
        return (
            base / "Keeper Security" / "Endpoint Privilege Management",
            base / "Keeper Security" / "Endpoint Privilege Manager",
            base / "KeeperPrivilegeManager",
        )
    if os_key == MACOS:
        return (PurePosixPath("/Library/Keeper/sbin"), PurePosixPath("/usr/local/KeeperPrivilegeManager"))
    return (PurePosixPath("/opt/keeper/sbin"), PurePosixPath("/opt/KeeperPrivilegeManager"))


def is_agent_root(path: Path) -> bool:
    """An agent root holds the Jobs/ directory the agent loads job files from."""
    return (path / "Jobs").is_dir()


def detect_agent_root(candidates: Sequence[PurePath] | None = None) -> Path | None:
    """The first candidate (default: this OS's known roots) that holds a Jobs/ directory, if any."""
    for candidate in candidates if candidates is not None else known_roots():
        path = Path(candidate)
        if is_agent_root(path):
            return path
    return None


def executable_name(command: str, os_key: str) -> str:
    return f"{command}.exe" if os_key == WINDOWS else command


def command_path(root: PurePath, command: str, os_key: str) -> PurePath:
    """Where the job runner looks for a `command` before PATH: {root}/Jobs/bin/{command}/{command}[.exe]."""
    return root.joinpath(*COMMAND_DIR.parts, command, executable_name(command, os_key))
