"""PLACEHOLDER engine (to be replaced by the detection-engine work): walks roots, runs two regexes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.finding import Finding, ScanResult, ScanStats
from secret_scanner.redaction import Fingerprinter, redact


@dataclass(frozen=True)
class ScanOptions:
    roots: tuple[Path, ...]
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = 50 * 1024 * 1024
    time_budget_seconds: float | None = None


_RULES = (
    ("aws.access-key-id", "AWS access key ID", "high", re.compile(r"\b((?:AKIA|ASIA)[A-Z2-7]{16})\b")),
    ("github.pat", "GitHub personal access token", "critical", re.compile(r"\b(ghp_[A-Za-z0-9]{36})\b")),
)


def scan(options: ScanOptions, fingerprinter: Fingerprinter,
         should_stop: Callable[[], bool] | None = None) -> ScanResult:
    started = time.monotonic()
    findings: list[Finding] = []
    scanned = 0
    for root in options.roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            scanned += 1
            for rule_id, title, severity, pattern in _RULES:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start(1)) + 1
                    column = match.start(1) - (text.rfind("\n", 0, match.start(1)) + 1) + 1
                    secret = match.group(1)
                    findings.append(Finding(rule_id, title, severity, "high", str(path), line, column,
                                            fingerprinter.fingerprint(secret), redact(secret), len(secret)))
    stats = ScanStats(roots=tuple(str(r) for r in options.roots), files_scanned=scanned,
                      duration_seconds=time.monotonic() - started, engine="placeholder")
    return ScanResult(tuple(findings), stats)
