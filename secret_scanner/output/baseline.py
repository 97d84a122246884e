"""Reading a baseline: the fingerprints of an earlier JSON report, whose findings are not reported again."""

from __future__ import annotations

import json
import re
from pathlib import Path

from secret_scanner.errors import ReportError

MAX_BASELINE_BYTES = 64 * 1024 * 1024
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def read_baseline_fingerprints(path: Path) -> frozenset[str]:
    """Every finding fingerprint of a JSON report (active and suppressed). Raises ReportError."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"--baseline {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_BASELINE_BYTES:
        raise ReportError(f"--baseline {path}: larger than {MAX_BASELINE_BYTES} bytes")
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"--baseline {path}: not a JSON report ({type(exc).__name__})") from exc
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list):
        raise ReportError(f"--baseline {path}: not a SecretScanner JSON report (no findings list)")
    fingerprints: set[str] = set()
    for key in ("findings", "suppressed"):
        entries = report.get(key)
        for entry in entries if isinstance(entries, list) else []:
            value = entry.get("fingerprint") if isinstance(entry, dict) else None
            if isinstance(value, str) and _FINGERPRINT.fullmatch(value):
                fingerprints.add(value)
    return frozenset(fingerprints)
