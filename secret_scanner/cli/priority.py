"""Gentle on the machine: background CPU priority and idle I/O priority for the whole run.

Linux: nice 10 and the idle I/O class (ioprio_set, IOPRIO_CLASS_IDLE: the disk serves us only when no one else
wants it). macOS: nice 10, throttled disk I/O (setiopolicy_np) and the background QoS band (PRIO_DARWIN_BG).
Windows: below-normal priority class and background mode (which also lowers I/O and memory priority).
Each step is best effort: a refusal is logged at debug level and the scan goes on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform
import sys

log = logging.getLogger(__name__)

IOPRIO_CLASS_IDLE = 3
IOPRIO_CLASS_SHIFT = 13
IOPRIO_WHO_PROCESS = 1
# ioprio_set has no libc wrapper: the syscall numbers of the architectures we ship for.
_IOPRIO_SET = {"x86_64": 251, "amd64": 251, "aarch64": 30, "arm64": 30}
_IOPRIO_GET = {"x86_64": 252, "amd64": 252, "aarch64": 31, "arm64": 31}
_IOPOL_TYPE_DISK, _IOPOL_SCOPE_PROCESS, _IOPOL_THROTTLE = 0, 0, 3
_PRIO_DARWIN_PROCESS, _PRIO_DARWIN_BG = 4, 0x1000


def lower_priority() -> None:
    """Background CPU and I/O priority for this process (and the threads it starts afterwards)."""
    if sys.platform == "win32":
        _lower_windows()
        return
    try:
        os.nice(10)
    except OSError:
        log.debug("could not lower CPU priority")
    if sys.platform == "darwin":
        _lower_macos()
    elif sys.platform.startswith("linux"):
        if not set_idle_io_priority():
            log.debug("could not set the idle I/O class")


def set_idle_io_priority() -> bool:
    number = _IOPRIO_SET.get(platform.machine().lower())
    if number is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.syscall(number, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT)) == 0


def read_io_priority_class(pid: int = 0) -> int | None:
    """The I/O scheduling class of a process (Linux), for tests and diagnostics; None where unknown."""
    number = _IOPRIO_GET.get(platform.machine().lower())
    if number is None or not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    value = int(libc.syscall(number, IOPRIO_WHO_PROCESS, pid))
    return None if value < 0 else value >> IOPRIO_CLASS_SHIFT


def _lower_macos() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.setiopolicy_np(_IOPOL_TYPE_DISK, _IOPOL_SCOPE_PROCESS, _IOPOL_THROTTLE) != 0:
            log.debug("could not throttle disk I/O")
        if libc.setpriority(_PRIO_DARWIN_PROCESS, 0, _PRIO_DARWIN_BG) != 0:
            log.debug("could not enter the background QoS band")
    except (OSError, AttributeError):
        log.debug("could not lower I/O priority")


def _lower_windows() -> None:
    try:
        below_normal, background_begin = 0x4000, 0x00100000
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.GetCurrentProcess()
        kernel32.SetPriorityClass(handle, below_normal)
        kernel32.SetPriorityClass(handle, background_begin)
    except (OSError, AttributeError):
        log.debug("could not lower process priority")
