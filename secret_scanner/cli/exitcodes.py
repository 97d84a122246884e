"""The process exit codes: the only status the KEPM job runner records for a task."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    SECRETS_FOUND = 1
    USAGE = 2
    INCOMPLETE = 3
    DELIVERY_FAILED = 4
    LOCKED = 5
    INTERNAL = 70
