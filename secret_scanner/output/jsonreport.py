"""The JSON report (schema in schema/report.schema.json) and writing a report file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from secret_scanner import __version__
from secret_scanner.errors import ReportError
from secret_scanner.model import Finding, ScanResult
from secret_scanner.names import json_safe

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
            "suppressed": len(result.suppressed),
        },
        "problems": [asdict(problem) for problem in result.problems],
        "findings": [_active(finding) for finding in findings],
        "suppressed": [asdict(finding) for finding in sorted(result.suppressed, key=lambda f: f.sort_key())],
    }


def _active(finding: Finding) -> dict[str, object]:
    fields = asdict(finding)
    del fields["suppressed"]
    return fields


def render_json(report: dict[str, object]) -> str:
    # Undecodable bytes of file names are written as \udcXX escapes: valid JSON, lossless (names.py).
    return json_safe(json.dumps(report, indent=2, ensure_ascii=False)) + "\n"


def write_report(path: Path, text: str) -> None:
    """Owner-only (a report names where secrets are): created 0600, an existing file truncated and chmodded."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)
            handle.write(text.encode("utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot write report {path}: {exc.strerror or exc}") from exc
