"""Local report formats: the JSON report (schema in schema/report.schema.json) and the readable text summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from secret_scanner import __version__
from secret_scanner.errors import ReportError
from secret_scanner.finding import ScanResult

REPORT_SCHEMA_VERSION = 1


def build_report(result: ScanResult, run_id: str, fingerprint_scope: str) -> dict[str, object]:
    findings = sorted(result.findings, key=lambda finding: finding.sort_key())
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "SecretScanner", "version": __version__},
        "run_id": run_id,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": result.complete,
        "incomplete_reasons": list(result.incomplete_reasons),
        "fingerprint_scope": fingerprint_scope,
        "stats": {
            **asdict(result.stats),
            "roots": list(result.stats.roots),
            "findings": len(findings),
            "by_severity": result.count_by_severity(),
        },
        "findings": [asdict(finding) for finding in findings],
    }


def render_json(report: dict[str, object]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write report {path}: {exc.strerror or exc}") from exc


def render_text(result: ScanResult) -> str:
    """A readable table for a person at a terminal: one row per finding, then the summary."""
    rows = [("SEVERITY", "RULE", "LOCATION", "PREVIEW")]
    for finding in sorted(result.findings, key=lambda f: f.sort_key()):
        location = f"{finding.path}:{finding.line}:{finding.column}"
        rows.append((finding.severity.upper(), finding.rule_id, location, finding.redacted))
    lines: list[str] = []
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
        lines.append("")
    lines.append(summarize(result))
    return "\n".join(lines) + "\n"


def summarize(result: ScanResult) -> str:
    """One line: printed on stdout and sent as the KeeperLogger summary message (one wording for both)."""
    stats = result.stats
    counts = result.count_by_severity()
    by_severity = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    found = f"{len(result.findings)} secret(s) found" + (f" ({by_severity})" if by_severity else "")
    state = "complete" if result.complete else "INCOMPLETE (" + "; ".join(result.incomplete_reasons) + ")"
    return (
        f"Secret scan {state}: {found} in {stats.files_scanned} file(s), "
        f"{stats.files_skipped} skipped, {stats.read_errors} unreadable, {stats.duration_seconds:.1f}s."
        + (f" {stats.below_threshold} below the confidence/severity threshold, not listed."
           if stats.below_threshold else "")
    )
