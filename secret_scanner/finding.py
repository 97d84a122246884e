"""Values that leave the detection engine: findings and scan results. None of them holds a raw secret."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("critical", "high", "medium", "low")
CONFIDENCES = ("high", "medium", "low")
# Reported by default: medium confidence and up, every severity (docs/engine.md, "Confidence"). Chosen by
# measurement (bench/noise.py): low-confidence findings are code, docs and examples on real third-party trees.
DEFAULT_MIN_CONFIDENCE = "medium"
DEFAULT_MIN_SEVERITY = "low"


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
    # Why confidence was lowered, when it was (a published sample value, a docs/tests path ...); "" otherwise.
    note: str = ""

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
    # Findings under --min-confidence / --min-severity: not reported, only counted.
    below_threshold: int = 0


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


def rank_confidence(confidence: str) -> int:
    """0 for low, 1 for medium, 2 for high."""
    return len(CONFIDENCES) - 1 - CONFIDENCES.index(confidence) if confidence in CONFIDENCES else 0


def meets_threshold(finding: Finding, min_confidence: str, min_severity: str) -> bool:
    severity_rank = len(SEVERITIES) - 1 - SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else 0
    return (rank_confidence(finding.confidence) >= rank_confidence(min_confidence)
            and severity_rank >= len(SEVERITIES) - 1 - SEVERITIES.index(min_severity))
