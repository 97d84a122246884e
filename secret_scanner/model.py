"""Values that leave the detection engine: findings and scan results. None of them holds a raw secret."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("critical", "high", "medium", "low")
CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    """One secret at one place. `redacted` and `fingerprint` identify it; the value itself is gone."""

    rule_id: str
    title: str
    severity: str
    confidence: str
    path: str
    line: int
    column: int
    fingerprint: str
    redacted: str
    length: int
    description: str = ""

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule_id)


@dataclass(frozen=True)
class ScanStats:
    roots: tuple[str, ...] = ()
    files_scanned: int = 0
    files_skipped: int = 0
    bytes_scanned: int = 0
    read_errors: int = 0
    duration_seconds: float = 0.0
    engine: str = ""


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats
    complete: bool = True
    incomplete_reasons: tuple[str, ...] = field(default_factory=tuple)

    def count_by_severity(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts
