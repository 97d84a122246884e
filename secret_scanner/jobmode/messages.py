"""What a run says over MQTT: KeeperLogger envelopes (per the custom job guide) and job events.

Every KeeperLogger message is one JSON object with a fresh `Id`, `Version` 1, `RespondToTopic` null and
`MetaData` {MessageType 4, LogLevel, Source "SecretScanner", Category, Message, CorrelationId, Context}.
`Message` is never empty, holds no control characters and is at most MAX_MESSAGE_CHARS long; `Context` is
compact JSON of whitelisted fields only (a Finding holds no raw secret, and we still copy field by field).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import IntEnum

from secret_scanner import __version__
from secret_scanner.model import SEVERITIES, Finding, ScanResult, Severity
from secret_scanner.names import show_name
from secret_scanner.output.text import summarize

SOURCE = "SecretScanner"
LOGGER_TOPIC = "KeeperLogger"
MESSAGE_TYPE_LOG = 4
MAX_MESSAGE_CHARS = 1000
MAX_CONTEXT_CHARS = 2000
MAX_PATH_CHARS = 400
EVENT_SCHEMA_VERSION = 1

CATEGORY_SCAN = "SecretsScan"
CATEGORY_FINDING = "SecretFinding"
CATEGORY_DELIVERY = "Delivery"

# Lone surrogates (undecodable bytes in file names) cannot be encoded as UTF-8: they go too, and so do bidi
# overrides (U+202E) that make a name read backwards in the agent's log viewer.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069"
                      "\ud800-\udfff]+")
_ELLIPSIS = "..."


class LogLevel(IntEnum):
    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3
    CRITICAL = 4


def level_of(severity: Severity) -> LogLevel:
    """Critical and high findings are errors for the operator; medium and low are warnings."""
    return LogLevel.ERROR if severity.is_error else LogLevel.WARNING


def clean_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """One line of at most `limit` characters: control characters (newlines too) become a space."""
    flat = _CONTROL.sub(" ", text).strip()
    if len(flat) > limit:
        flat = flat[: limit - len(_ELLIPSIS)].rstrip() + _ELLIPSIS
    return flat or "(no text)"


def shorten_path(path: str, limit: int = MAX_PATH_CHARS) -> str:
    """Keep the end of a long path (file name and nearest folders), which is what identifies it; control, bidi
    and undecodable characters as visible escapes (names.py)."""
    flat = show_name(path)
    if len(flat) <= limit:
        return flat
    return _ELLIPSIS + flat[-(limit - len(_ELLIPSIS)) :]


def build_log_message(
    level: LogLevel,
    category: str,
    text: str,
    correlation_id: str,
    context: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A KeeperLogger envelope; `Context` is the compact JSON of `context` (or "" without one)."""
    return {
        "Id": str(uuid.uuid4()),
        "Version": 1,
        "RespondToTopic": None,
        "MetaData": {
            "MessageType": MESSAGE_TYPE_LOG,
            "LogLevel": int(level),
            "Source": SOURCE,
            "Category": category,
            "Message": clean_text(text),
            "CorrelationId": correlation_id,
            "Context": _encode_context(context),
        },
    }


def encode(document: Mapping[str, object]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def start_message(run_id: str, job_id: str) -> dict[str, object]:
    text = f"Secret scan started (SecretScanner {__version__}, job {job_id}, run {run_id})."
    return build_log_message(
        LogLevel.INFO,
        CATEGORY_SCAN,
        text,
        run_id,
        {"kind": "start", "job_id": job_id, "version": __version__},
    )


def finding_message(finding: Finding, run_id: str, status: str = "new") -> dict[str, object]:
    path = shorten_path(finding.path)
    opening = "Still exposed (reminder):" if status == "reminder" else "Exposed"
    text = (
        f"{opening} {clean_text(finding.title, 120)} ({finding.severity}, confidence {finding.confidence}) "
        f"in {path} line {finding.line} column {finding.column}; preview {clean_text(finding.redacted, 40)}; "
        f"rule {clean_text(finding.rule_id, 80)}; fingerprint {finding.fingerprint}."
    )
    context = {
        "kind": "finding",
        "status": status,
        "rule_id": clean_text(finding.rule_id, 80),
        "severity": finding.severity,
        "confidence": finding.confidence,
        "path": path,
        "line": finding.line,
        "column": finding.column,
        "fingerprint": finding.fingerprint,
        "redacted": clean_text(finding.redacted, 40),
    }
    return build_log_message(
        level_of(finding.severity), CATEGORY_FINDING, text, run_id, context
    )


def overflow_message(rest: Sequence[Finding], cap: int, run_id: str) -> dict[str, object]:
    """One message for the findings beyond the per-run cap: counts by severity and rule."""
    by_severity = dict.fromkeys(SEVERITIES, 0)
    by_rule: dict[str, int] = {}
    for finding in rest:
        by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
        by_rule[finding.rule_id] = by_rule.get(finding.rule_id, 0) + 1
    worst = max((level_of(f.severity) for f in rest), default=LogLevel.WARNING)
    counts = ", ".join(f"{n} {s}" for s, n in by_severity.items() if n)
    rules = ", ".join(
        f"{clean_text(r, 60)} x{n}" for r, n in sorted(by_rule.items(), key=lambda i: -i[1])[:10]
    )
    text = (
        f"{len(rest)} more secret(s) not listed one by one (per-run cap of {cap} messages): {counts}; "
        f"rules: {rules}. See the local report for every finding."
    )
    context = {
        "kind": "overflow",
        "not_listed": len(rest),
        "cap": cap,
        "by_severity": by_severity,
        "by_rule": dict(sorted(by_rule.items())[:50]),
    }
    return build_log_message(worst, CATEGORY_FINDING, text, run_id, context)


def summary_message(result: ScanResult, run_id: str, listed: int,
                    lifecycle: Mapping[str, int] | None = None) -> dict[str, object]:
    stats = result.stats
    counts = result.count_by_severity()
    # clean_text (in build_log_message) folds newlines that a reason may carry.
    text = summarize(result)
    level = LogLevel.WARNING if result.findings or not result.complete else LogLevel.INFO
    context = {
        "kind": "summary",
        "complete": result.complete,
        "incomplete_reasons": _clean_reasons(result),
        "findings": len(result.findings),
        "by_severity": counts,
        "findings_listed": listed,
        "files_scanned": stats.files_scanned,
        "files_skipped": stats.files_skipped,
        "read_errors": stats.read_errors,
        "bytes_scanned": stats.bytes_scanned,
        "duration_seconds": round(stats.duration_seconds, 3),
        "engine": clean_text(stats.engine, 40) if stats.engine else "",
        "files_unchanged": stats.files_unchanged,
        "suppressed": len(result.suppressed),
        **({name: int(lifecycle[name]) for name in ("new", "active", "resolved") if name in lifecycle}
           if lifecycle is not None else {}),
        "archives_scanned": stats.archives_scanned,
        "members_scanned": stats.members_scanned,
        "skip_reasons": {clean_text(reason, 60): count for reason, count in stats.skip_reasons},
    }
    return build_log_message(level, CATEGORY_SCAN, text, run_id, context)


def warning_message(text: str, run_id: str, category: str = CATEGORY_DELIVERY) -> dict[str, object]:
    return build_log_message(LogLevel.WARNING, category, text, run_id, {"kind": "warning"})


def error_message(text: str, run_id: str) -> dict[str, object]:
    return build_log_message(LogLevel.ERROR, CATEGORY_SCAN, text, run_id, {"kind": "error"})


def started_event(job_id: str, run_id: str, now: datetime | None = None) -> dict[str, object]:
    return {"event": "started", **_event_base(job_id, run_id, now)}


def completed_event(
    job_id: str, run_id: str, result: ScanResult, now: datetime | None = None
) -> dict[str, object]:
    return {
        "event": "completed",
        **_event_base(job_id, run_id, now),
        "complete": result.complete,
        "incomplete_reasons": _clean_reasons(result),
        "findings": len(result.findings),
        "counts": result.count_by_severity(),
        "files_scanned": result.stats.files_scanned,
        "duration_seconds": round(result.stats.duration_seconds, 3),
    }


def _clean_reasons(result: ScanResult) -> list[str]:
    return [clean_text(reason, 200) for reason in result.incomplete_reasons[:10]]


def _event_base(job_id: str, run_id: str, now: datetime | None) -> dict[str, object]:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "schema_version": EVENT_SCHEMA_VERSION,
        "job_id": job_id,
        "run_id": run_id,
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": SOURCE,
        "version": __version__,
    }


def _encode_context(context: Mapping[str, object] | None) -> str:
    if not context:
        return ""
    text = json.dumps(context, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if len(text) <= MAX_CONTEXT_CHARS:
        return text
    # Never cut JSON in the middle: keep the fields that identify the message and say it was trimmed.
    kept = {
        k: context[k]
        for k in ("kind", "rule_id", "severity", "fingerprint", "line", "column")
        if k in context
    }
    kept["truncated"] = True
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# The finding lifecycle and progress events ---------------------------------------------------


def resolved_message(rule_id: str, path: str, line: int, fingerprint: str, redacted: str, reason: str,
                     run_id: str) -> dict[str, object]:
    """A finding announced by an earlier run is gone (or was accepted): one info message, same identity."""
    shown = shorten_path(path)
    why = "accepted (suppressed)" if reason == "suppressed" else "no longer found"
    text = (
        f"Resolved: secret {why} in {shown} (was line {line}); rule {clean_text(rule_id, 80)}; "
        f"fingerprint {fingerprint}."
    )
    context = {
        "kind": "resolved",
        "reason": reason,
        "rule_id": clean_text(rule_id, 80),
        "path": shown,
        "line": line,
        "fingerprint": fingerprint,
        "redacted": clean_text(redacted, 40),
    }
    return build_log_message(LogLevel.INFO, CATEGORY_FINDING, text, run_id, context)


def progress_event(job_id: str, run_id: str, files: int, bytes_read: int, findings: int,
                   elapsed_seconds: float, now: datetime | None = None) -> dict[str, object]:
    return {
        "event": "progress",
        **_event_base(job_id, run_id, now),
        "files": files,
        "bytes": bytes_read,
        "findings": findings,
        "elapsed_seconds": round(elapsed_seconds, 1),
    }
