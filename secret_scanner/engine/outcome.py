"""What scanning one file on disk came to: its findings, and whether it stopped, was binary, unreadable or
faulted. One value for plain files (engine/scan.py) and for archives and containers (engine/sources.py)."""

from __future__ import annotations

from dataclasses import dataclass

from secret_scanner.model import FileProblem, Finding


@dataclass(frozen=True)
class FileOutcome:
    findings: tuple[Finding, ...] = ()
    stopped: bool = False
    binary: bool = False
    unreadable: bool = False
    problem: FileProblem | None = None
