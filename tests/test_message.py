"""KeeperLogger envelopes and job events: exact shape, levels, bounds, and only whitelisted fields."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from secret_scanner.jobmode import messages as message
from secret_scanner.model import Finding, ScanResult, ScanStats

RUN = "6c0f5f7e-3a8e-4a55-9d0e-2b7b8d0f1a11"


def finding(severity: str = "critical", path: str = "/etc/app/config.env", **changes: Any) -> Finding:
    values: dict[str, Any] = dict(
        rule_id="github.pat",
        title="GitHub personal access token",
        severity=severity,
        confidence="high",
        path=path,
        line=3,
        column=14,
        fingerprint="ab" * 16,
        redacted="ghp_...(40 chars)",
        length=40,
        description="a description that must not travel",
    )
    values.update(changes)
    return Finding(**values)


def result(*findings: Finding, complete: bool = True, reasons: tuple[str, ...] = ()) -> ScanResult:
    stats = ScanStats(
        roots=("/",), files_scanned=12, files_skipped=1, read_errors=2, duration_seconds=3.25, engine="test"
    )
    return ScanResult(tuple(findings), stats, complete, reasons)


def test_envelope_is_exactly_the_guide_shape() -> None:
    document = message.build_log_message(message.LogLevel.INFO, "SecretsScan", "hello", RUN, {"kind": "x"})
    assert list(document) == ["Id", "Version", "RespondToTopic", "MetaData"]
    assert uuid.UUID(str(document["Id"])).version == 4
    assert document["Version"] == 1 and document["RespondToTopic"] is None
    assert document["MetaData"] == {
        "MessageType": 4,
        "LogLevel": 1,
        "Source": "SecretScanner",
        "Category": "SecretsScan",
        "Message": "hello",
        "CorrelationId": RUN,
        "Context": '{"kind":"x"}',
    }
    again = message.build_log_message(message.LogLevel.INFO, "SecretsScan", "hello", RUN)
    assert again["Id"] != document["Id"]
    assert again["MetaData"]["Context"] == ""  # type: ignore[index]


def test_message_is_never_empty_single_line_and_bounded() -> None:
    assert message.clean_text("") == "(no text)"
    assert message.clean_text(" \n\t ") == "(no text)"
    assert message.clean_text("a\r\nb\u2028c\x00d") == "a b c d"
    long = message.clean_text("x" * 5000)
    assert len(long) == message.MAX_MESSAGE_CHARS and long.endswith("...")


def test_long_and_strange_paths_are_shortened_from_the_left() -> None:
    path = "/very" + "/deep" * 200 + "/id_rsa"
    doc = message.finding_message(finding(path=path), RUN)
    data: dict[str, Any] = doc["MetaData"]  # type: ignore[assignment]
    assert len(data["Message"]) <= message.MAX_MESSAGE_CHARS
    assert "/id_rsa" in data["Message"]
    context = json.loads(data["Context"])
    assert context["path"].startswith("...") and context["path"].endswith("/id_rsa")
    odd = message.finding_message(finding(path="/tmp/a\nb\udcffc"), RUN)
    payload = message.encode(odd)  # lone surrogates and newlines must not break the encoding
    assert b"\n" not in payload
    # Visible escapes (issue #11): the newline and the undecodable byte are shown, not hidden or obeyed.
    assert "a\\x0ab\\xffc" in json.loads(payload)["MetaData"]["Message"]


@pytest.mark.parametrize(("severity", "level"), [("critical", 3), ("high", 3), ("medium", 2), ("low", 2)])
def test_finding_levels(severity: str, level: int) -> None:
    assert message.finding_message(finding(severity), RUN)["MetaData"]["LogLevel"] == level  # type: ignore[index]


def test_finding_context_has_only_whitelisted_fields() -> None:
    data: dict[str, Any] = message.finding_message(finding(), RUN)["MetaData"]  # type: ignore[assignment]
    context = json.loads(data["Context"])
    assert set(context) == {
        "kind",
        "status",
        "rule_id",
        "severity",
        "confidence",
        "path",
        "line",
        "column",
        "fingerprint",
        "redacted",
    }
    assert "description" not in data["Context"] and "must not travel" not in data["Message"]
    assert "/etc/app/config.env line 3 column 14" in data["Message"]


def test_summary_levels_and_counts() -> None:
    clean = message.summary_message(result(), RUN, 0)["MetaData"]
    assert clean["LogLevel"] == 1  # type: ignore[index]
    found = message.summary_message(result(finding("high"), finding("low")), RUN, 2)["MetaData"]
    assert found["LogLevel"] == 2  # type: ignore[index]
    context = json.loads(found["Context"])  # type: ignore[index]
    assert context["by_severity"] == {"critical": 0, "high": 1, "medium": 0, "low": 1}
    assert context["findings"] == 2 and context["files_scanned"] == 12 and context["complete"] is True
    cut = message.summary_message(result(complete=False, reasons=("time budget\nexhausted",)), RUN, 0)[
        "MetaData"
    ]
    assert cut["LogLevel"] == 2  # type: ignore[index]
    # A newline in a reason (it may quote a root's name) is a visible escape, never a forged line.
    assert "INCOMPLETE (time budget\\x0aexhausted)" in cut["Message"]  # type: ignore[index]


def test_overflow_message_counts_what_was_not_listed() -> None:
    rest = [finding("medium")] * 3 + [finding("critical", rule_id="aws.access-key-id")]
    data: dict[str, Any] = message.overflow_message(rest, 100, RUN)["MetaData"]  # type: ignore[assignment]
    assert data["LogLevel"] == 3
    assert data["Message"].startswith("4 more secret(s)") and "cap of 100" in data["Message"]
    context = json.loads(data["Context"])
    assert context["by_severity"]["medium"] == 3 and context["by_rule"]["aws.access-key-id"] == 1


def test_events_follow_the_documented_schema() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    started = message.started_event("secrets-scanner", RUN, moment)
    assert started == {
        "event": "started",
        "schema_version": 1,
        "job_id": "secrets-scanner",
        "run_id": RUN,
        "timestamp": "2026-01-02T03:04:05Z",
        "source": "SecretScanner",
        "version": started["version"],
    }
    completed = message.completed_event("secrets-scanner", RUN, result(finding()), moment)
    assert completed["event"] == "completed" and completed["complete"] is True
    assert completed["findings"] == 1 and completed["counts"] == {
        "critical": 1,
        "high": 0,
        "medium": 0,
        "low": 0,
    }
    assert completed["duration_seconds"] == 3.25 and completed["files_scanned"] == 12
