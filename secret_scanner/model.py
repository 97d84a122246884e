"""Values that leave the detection engine: findings and scan results. None of them holds a raw secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How bad a leak of this kind is. One ordering for every output: rank 3 (critical) to 0 (low)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def sarif_level(self) -> str:
        return "error" if self.rank >= 2 else "warning" if self is Severity.MEDIUM else "note"

    @property
    def security_severity(self) -> str:
        """GitHub code scanning's numeric scale (0-10) in SARIF `properties.security-severity`."""
        return {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}[self.value]

    @property
    def is_error(self) -> bool:
        """Critical and high findings are KeeperLogger errors; medium and low are warnings."""
        return self.rank >= 2


class Confidence(StrEnum):
    """How sure the engine is that the match is a live secret: rank 2 (high) to 0 (low)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]


_SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.LOW: 0}
_CONFIDENCE_RANK = {Confidence.HIGH: 2, Confidence.MEDIUM: 1, Confidence.LOW: 0}
# Most severe first: the order of report columns and counts.
SEVERITIES: tuple[Severity, ...] = tuple(Severity)
CONFIDENCES: tuple[Confidence, ...] = tuple(Confidence)
# Reported by default: medium confidence and up, every severity (docs/engine.md, "Confidence"). Chosen by
# measurement (bench/noise.py): low-confidence findings are code, docs and examples on real third-party trees.
DEFAULT_MIN_CONFIDENCE = Confidence.MEDIUM
DEFAULT_MIN_SEVERITY = Severity.LOW


@dataclass(frozen=True)
class Finding:
    """One secret at one place. `redacted` and `fingerprint` identify it; the value itself is gone."""

    rule_id: str
    title: str
    severity: Severity
    confidence: Confidence
    path: str
    line: int
    column: int
    fingerprint: str
    redacted: str
    length: int
    description: str = ""
    # Why confidence was lowered, when it was (a published sample value, a docs/tests path ...); "" otherwise.
    note: str = ""
    # Why the finding is accepted ("inline", "fingerprint", "baseline"); "" for an active finding.
    suppressed: str = ""

    def __post_init__(self) -> None:
        # Accept the plain strings of reports and rule files; keep the enums so every ordering is one ordering.
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "confidence", Confidence(self.confidence))

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
    # Files whose identity and change stamp matched the scan state: not read, their findings reused.
    files_unchanged: int = 0
    # Paths an ignore file or an exclude pattern kept out of the walk.
    paths_ignored: int = 0
    # Files whose scan hit an internal error (a crafted file; the rest of the scan went on), and files that
    # grew past the size limit while read (scanned up to the limit).
    file_errors: int = 0
    files_truncated: int = 0
    # Archives opened, members read inside them, and what was skipped and why: ((reason, count), ...).
    archives_scanned: int = 0
    members_scanned: int = 0
    skip_reasons: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FileProblem:
    """Why one file was not (fully) scanned: `kind` is error, truncated or skipped; `detail` names the rule
    and stage or the reason, never a value."""

    path: str
    kind: str
    detail: str


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats
    complete: bool = True
    incomplete_reasons: tuple[str, ...] = field(default_factory=tuple)
    # Findings an allow marker, the fleet's ignore list or a baseline accepted: counted, never silently gone.
    suppressed: tuple[Finding, ...] = ()
    problems: tuple[FileProblem, ...] = field(default_factory=tuple)

    def count_by_severity(self) -> dict[str, int]:
        counts: dict[str, int] = {severity.value: 0 for severity in SEVERITIES}
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts


def meets_threshold(finding: Finding, min_confidence: Confidence | str, min_severity: Severity | str) -> bool:
    """Whether a finding is reported under the --min-confidence / --min-severity floors."""
    return (finding.confidence.rank >= Confidence(min_confidence).rank
            and finding.severity.rank >= Severity(min_severity).rank)
