"""The JSON report (schema in schema/report.schema.json) and writing a report file."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from secret_scanner import __version__
from secret_scanner.errors import ReportError
from secret_scanner.model import ScanResult

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
            "skip_reasons": dict(result.stats.skip_reasons),
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
