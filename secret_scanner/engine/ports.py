"""The ports the scan loop reports to and asks: progress (for a display or job events) and file memory
(the scan state that lets an unchanged file be skipped). The engine never prints and does no state I/O: the
caller plugs an implementation in, or leaves the default that does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from secret_scanner.engine.walk import FileEntry
from secret_scanner.model import Finding


@dataclass(frozen=True)
class Progress:
    """The scan so far: files read or reused, bytes read, findings (suppressed ones included), seconds."""

    files: int
    bytes: int
    findings: int
    elapsed_seconds: float
    current_path: str = ""


class ProgressSink(Protocol):
    def update(self, progress: Progress) -> None:
        """Called after every file; an implementation decides how often to show or send anything."""


class FileMemory(Protocol):
    def recall(self, entry: FileEntry) -> Sequence[Finding] | None:
        """The findings of a file unchanged since it was last read, or None when it must be read."""

    def remember(self, entry: FileEntry, findings: Sequence[Finding]) -> None:
        """What reading the file found (only for a file read to its end)."""
