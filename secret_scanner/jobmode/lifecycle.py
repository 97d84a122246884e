"""The finding lifecycle in job mode: what earlier runs announced, so each run says only what changed.

A finding's identity across runs is (fingerprint, path, rule): a moved line is the same finding. Each run
sends one "finding" message with status "new" per finding not yet announced, one "resolved" message per
announced finding that is gone (only after a complete scan: a cut-short scan cannot know), and, every
`resend_active_hours` (0: every run), each active finding again with status "reminder". The per-run cap
holds back the rest, which later runs announce: new first, then resolved, then reminders, most severe first.

A finding counts as announced only once its message was acknowledged by the broker or kept in the spool:
`commit(lost_ids)` after delivery records exactly that. The record lives in the state directory,
authenticated (a planted record could mark a leak as announced and silence it), bounded, and holds no raw
value: fingerprint, rule, path, line, redacted preview, severity, and when it was last sent.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from secret_scanner.jobmode import messages as message
from secret_scanner.model import Finding, ScanResult, Severity

log = logging.getLogger(__name__)

RECORD_NAME = "finding-lifecycle"
RECORD_VERSION = 1
MAX_RECORDS = 100_000
_ORDER = {"new": 0, "resolved": 1, "reminder": 2}


class BlobStore(Protocol):
    """The subset of state.blobs.AuthenticatedBlobStore the lifecycle uses."""

    def read(self, name: str) -> bytes | None: ...

    def write(self, name: str, data: bytes) -> None: ...


def identity_of(finding: Finding) -> str:
    return f"{finding.fingerprint}\0{finding.path}\0{finding.rule_id}"


@dataclass
class _Planned:
    key: str
    kind: str  # "new", "reminder" or "resolved"
    message_id: str


@dataclass
class _Plan:
    now: float
    complete: bool
    current: dict[str, Finding]
    sent: list[_Planned] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class Lifecycle:
    def __init__(self, store: BlobStore, resend_active_hours: float, clock: Any = time.time) -> None:
        self._store = store
        self._resend_seconds = resend_active_hours * 3600.0
        self._clock = clock
        self._records = self._load()
        self._plan: _Plan | None = None

    def closing_messages(self, result: ScanResult, run_id: str, cap: int) -> list[dict[str, object]]:
        """Finding, resolved and reminder messages (at most `cap`), an overflow note, and the summary."""
        now = float(self._clock())
        current = {identity_of(f): f for f in result.findings}
        suppressed = {identity_of(f) for f in result.suppressed}
        candidates: list[tuple[str, str, Finding | None]] = []
        for key, finding in current.items():
            record = self._records.get(key)
            if record is None or not record.get("announced"):
                candidates.append(("new", key, finding))
            elif now - float(record.get("sent", 0)) >= self._resend_seconds:
                candidates.append(("reminder", key, finding))
        if result.complete:
            roots = tuple(os.path.join(r, "") for r in result.stats.roots) + result.stats.roots
            for key, record in self._records.items():
                if key not in current and record.get("announced") and str(record["path"]).startswith(roots):
                    candidates.append(("resolved", key, None))
        candidates.sort(key=lambda c: (_ORDER[c[0]], -_severity_rank(c, self._records), c[1]))
        listed, held = candidates[:cap], candidates[cap:]
        plan = _Plan(now, result.complete, current)
        documents: list[dict[str, object]] = []
        for kind, key, listed_finding in listed:
            if listed_finding is not None:
                document = message.finding_message(listed_finding, run_id, status=kind)
            else:
                record = self._records[key]
                reason = "suppressed" if key in suppressed else "gone"
                document = message.resolved_message(record["rule"], record["path"], int(record["line"]),
                                                    record["fingerprint"], record["redacted"], reason, run_id)
            documents.append(document)
            plan.sent.append(_Planned(key, kind, str(document["Id"])))
        held_findings = [held_finding for _, _, held_finding in held if held_finding is not None]
        if held_findings:
            documents.append(message.overflow_message(held_findings, cap, run_id))
        plan.counts = {
            "new": sum(1 for kind, _, _ in candidates if kind == "new"),
            "active": len(current),
            "resolved": sum(1 for kind, _, _ in listed if kind == "resolved"),
        }
        documents.append(message.summary_message(result, run_id, len(listed), plan.counts))
        self._plan = plan
        return documents

    def commit(self, lost_ids: Iterable[str]) -> None:
        """Record what was announced: every planned message except those neither acknowledged nor spooled."""
        plan, self._plan = self._plan, None
        if plan is None:
            return
        lost = set(lost_ids)
        records = self._records
        for planned in plan.sent:
            if planned.message_id in lost:
                continue
            if planned.kind == "resolved":
                records.pop(planned.key, None)
            else:
                records[planned.key] = {**_describe(plan.current[planned.key]), "announced": True,
                                        "sent": plan.now}
        for key, finding in plan.current.items():
            record = records.get(key)
            if record is None or not record.get("announced"):
                records[key] = {**_describe(finding), "announced": False, "sent": 0}
            else:
                record.update(_describe(finding))  # the line may have moved
        for key in [k for k, r in records.items() if not r.get("announced") and k not in plan.current]:
            del records[key]
        self._save()

    # -- the record -----------------------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        data = self._store.read(RECORD_NAME)
        if data is None:
            return {}
        try:
            document = json.loads(data.decode("utf-8"))
            if document.get("version") != RECORD_VERSION:
                raise ValueError("unknown version")
            records = document["findings"]
            if not isinstance(records, dict):
                raise ValueError("no findings table")
            return {k: v for k, v in records.items() if isinstance(k, str) and _is_record(v)}
        except (ValueError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            log.warning("finding lifecycle record is unusable (%s): every finding is announced again", exc)
            return {}

    def _save(self) -> None:
        records = self._records
        if len(records) > MAX_RECORDS:
            # Keep what matters most: announced findings, most recently sent first.
            ranked = sorted(records.items(), key=lambda i: (not i[1]["announced"], -float(i[1]["sent"])))
            records = dict(ranked[:MAX_RECORDS])
        document = {"version": RECORD_VERSION, "findings": records}
        self._store.write(RECORD_NAME, json.dumps(document, separators=(",", ":")).encode("utf-8"))


def _describe(finding: Finding) -> dict[str, Any]:
    return {"fingerprint": finding.fingerprint, "path": finding.path, "rule": finding.rule_id,
            "line": finding.line, "redacted": finding.redacted, "severity": str(finding.severity)}


def _is_record(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    return (all(isinstance(value.get(k), str) for k in ("fingerprint", "path", "rule", "redacted", "severity"))
            and isinstance(value.get("line"), int) and isinstance(value.get("announced"), bool)
            and isinstance(value.get("sent"), int | float))


def _severity_rank(candidate: tuple[str, str, Finding | None], records: Mapping[str, Mapping[str, Any]]
                   ) -> int:
    _, key, finding = candidate
    if finding is not None:
        return finding.severity.rank
    try:
        return Severity(records[key]["severity"]).rank
    except ValueError:
        return 0


def message_ids(payloads: Sequence[bytes]) -> list[str]:
    """The envelope Ids of encoded KeeperLogger messages (those that reached neither broker nor spool)."""
    ids = []
    for payload in payloads:
        try:
            ids.append(str(json.loads(payload)["Id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return ids
