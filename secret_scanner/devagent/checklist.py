"""The custom job guide's 13-item pre-launch checklist, judged from evidence: the offline job validator, one
run in the development agent, and (for items 6 and 7) a real agent's Jobs API.

Each item is pass, FAIL or not checked, with the fix. Local evidence can fail items 6 and 7 but never pass
them: only a real agent can say a job is listed or that its trigger works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from secret_scanner.admin.jobcheck import JobReport
from secret_scanner.devagent.gate import Admission
from secret_scanner.devagent.jobfile import Job, runs_on
from secret_scanner.devagent.launcher import Outcome, RunRecord
from secret_scanner.devagent.pluginserver import SettingsRequest
from secret_scanner.devagent.view import Received

TITLES = {
    1: "Binary exists at the resolved command / executablePath",
    2: "Job id matches the file name; no underscores in the id",
    3: "enabled is true",
    4: "osFilter matches the target platform",
    5: "mqttTopics.allowedPublications includes KeeperLogger (and the eventTopic if used)",
    6: "Job appears in GET /api/Jobs after deployment",
    7: "POST /api/Jobs/{jobId}/trigger runs the task successfully",
    8: "Running task receives KEEPER_JOB_ID and KEEPER_JOB_NAME",
    9: "GET /api/PluginSettings/KeeperPrivilegeManager returns broker.host and broker.port inside the task",
    10: "MQTT connects with TLS and the {jobId}_Token_{pid} client ID",
    11: "Publish to KeeperLogger succeeds and messages appear in the operator's view",
    12: "If using eventTopic: publish to that topic succeeds",
    13: "Code signing: production binary signed; thumbprint in AlternativeSignatures if needed",
}
# Validator messages start with the field they are about; this says which checklist item owns each field.
_FIELD_ITEMS = (("id:", 2), ("enabled:", 3), ("osFilter", 4), ("mqttTopics", 5), ("eventTopic", 5))


class Status(Enum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Item:
    number: int
    title: str
    status: Status
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"item": self.number, "title": self.title, "status": self.status.value, "detail": self.detail,
                "fix": self.fix}


@dataclass(frozen=True)
class RealAgentAnswer:
    """What a real agent said: None when not asked; otherwise (ok, text)."""

    listed: tuple[bool, str] | None = None
    triggered: tuple[bool, str] | None = None


@dataclass
class Evidence:
    job: Job
    host_os: str
    report: JobReport
    binary: Path | None
    tried: Sequence[str]
    records: Sequence[RunRecord] = ()
    requests: Sequence[SettingsRequest] = ()
    admissions: Sequence[Admission] = ()
    logger: Sequence[Received] = ()
    events: Sequence[Received] = ()
    by_hand_status: int | None = None
    stderr: Sequence[str] = ()
    real: RealAgentAnswer = field(default_factory=RealAgentAnswer)

    @property
    def pids(self) -> set[int]:
        return {r.pid for r in self.records if r.pid is not None}

    @property
    def ran(self) -> bool:
        return bool(self.pids)

    def validator_errors(self, item: int) -> list[str]:
        return [e for e in self.report.errors if _item_of(e) == item]


def _item_of(error: str) -> int | None:
    if "binary not found" in error or "is not executable" in error:
        return 1
    for prefix, item in _FIELD_ITEMS:
        if error.startswith(prefix) or (prefix == "osFilter" and ".osFilter" in error.split(":", 1)[0]):
            return item
    return None


def judge(evidence: Evidence) -> list[Item]:
    """Every checklist item, plus item 0: the validator's errors that no item owns."""
    items = [_validator_rest(evidence)]
    for number, check in sorted(_CHECKS.items()):
        status, detail, fix = check(evidence)
        items.append(Item(number, TITLES[number], status, detail, fix))
    return items


Verdict = tuple[Status, str, str]


def _from_validator(evidence: Evidence, item: int, ok: str, fix: str) -> Verdict:
    errors = evidence.validator_errors(item)
    return (Status.FAIL, "; ".join(errors), fix) if errors else (Status.PASS, ok, "")


def _validator_rest(evidence: Evidence) -> Item:
    rest = [e for e in evidence.report.errors if _item_of(e) is None]
    title = "Job validator (the rules of POST /api/Jobs/validate) outside items 1-13"
    if rest:
        return Item(0, title, Status.FAIL, "; ".join(rest), "correct the fields named")
    return Item(0, title, Status.PASS, f"valid ({len(evidence.report.warnings)} warning(s))")


def _binary(evidence: Evidence) -> Verdict:
    if not runs_on(evidence.job.os_filter, evidence.host_os):
        return Status.NOT_CHECKED, f"osFilter excludes {evidence.host_os}; the agent skips this check too", ""
    if evidence.binary is None:
        command = evidence.job.tasks[0].command if evidence.job.tasks else "COMMAND"
        return (Status.FAIL, "not found; looked in " + ", ".join(evidence.tried),
                f"install it as {{agent-root}}/Jobs/bin/{command}/{command} (--agent-root), put it on PATH, "
                "or set executablePath; then register the job")
    return Status.PASS, str(evidence.binary), ""


def _identity(evidence: Evidence) -> Verdict:
    status, detail, fix = _from_validator(evidence, 2, f"id {evidence.job.id!r}",
                                          "rename the job with hyphens only, in the id and the file name")
    misread = [a for a in evidence.admissions if a.caller.pid in evidence.pids and a.parsed_job != evidence.job.id]
    if misread:
        detail += (f"; the broker read the client ID {misread[0].client_id!r} as job {misread[0].parsed_job!r}, "
                   "so its publishes are denied")
        status = Status.FAIL
    return status, detail, fix


def _enabled(evidence: Evidence) -> Verdict:
    return _from_validator(evidence, 3, "true", 'set "enabled": true')


def _os_filter(evidence: Evidence) -> Verdict:
    if not runs_on(evidence.job.os_filter, evidence.host_os):
        return (Status.FAIL, f"osFilter excludes this host ({evidence.host_os}): the job never runs here",
                f'set "osFilter": {{"{evidence.host_os}": true}} for this platform (one job file per OS)')
    return _from_validator(evidence, 4, f"includes {evidence.host_os}", "set only the target platform to true")


def _topics(evidence: Evidence) -> Verdict:
    return _from_validator(evidence, 5, ", ".join(evidence.job.publications),
                           'list "KeeperLogger" and the eventTopic in mqttTopics.allowedPublications')


def _listed(evidence: Evidence) -> Verdict:
    if evidence.real.listed is None:
        return Status.NOT_CHECKED, "needs a real agent: --agent-api URL --cert FILE --key FILE", ""
    ok, text = evidence.real.listed
    return (Status.PASS, text, "") if ok else (Status.FAIL, text, "deploy it: secret-scanner-deploy --job FILE")


def _trigger(evidence: Evidence) -> Verdict:
    killed = [r for r in evidence.records if r.outcome in (Outcome.TIMED_OUT, Outcome.START_FAILED)]
    if killed:
        return (Status.FAIL, f"in the development agent the task was {killed[0].outcome.value} ({killed[0].detail})",
                "raise timeoutSeconds above the task's longest run, or make the task finish sooner")
    if evidence.real.triggered is None:
        return Status.NOT_CHECKED, "needs a real agent (Admin tier): --agent-api URL --cert FILE --key FILE", ""
    ok, text = evidence.real.triggered
    return (Status.PASS, text, "") if ok else (Status.FAIL, text, "see the agent's answer")


def _not_run(evidence: Evidence) -> Verdict | None:
    if evidence.ran:
        return None
    why = "; ".join(f"{r.outcome.value}: {r.detail}" for r in evidence.records) or "no task"
    return Status.NOT_CHECKED, f"the task did not run in the development agent ({why})", ""


def _environment(evidence: Evidence) -> Verdict:
    if (skip := _not_run(evidence)) is not None:
        return skip
    if evidence.job.declares_topics:
        return Status.PASS, f"KEEPER_JOB_ID={evidence.job.id}, KEEPER_JOB_NAME={evidence.job.name}", ""
    return (Status.FAIL, "not set: the agent sets them only when mqttTopics has an entry",
            'add "mqttTopics": {"allowedPublications": ["KeeperLogger"]}')


def _exit_note(evidence: Evidence) -> str:
    codes = [str(r.exit_code) for r in evidence.records if r.exit_code is not None]
    return f" (the task exited with {', '.join(codes)})" if codes else ""


def _settings(evidence: Evidence) -> Verdict:
    if (skip := _not_run(evidence)) is not None:
        return skip
    mine = [r for r in evidence.requests if r.caller.pid in evidence.pids]
    if any(r.status == 200 for r in mine):
        return Status.PASS, "200 with broker.host and broker.port", ""
    if mine:
        return Status.FAIL, f"answered {mine[-1].status}", "the task must be started by the job runner"
    if all("{KeeperApiBaseUrl}" not in task.arguments for task in evidence.job.tasks):
        return (Status.FAIL, "the task never called it: its arguments do not pass {KeeperApiBaseUrl}",
                "pass --keeper-api-base={KeeperApiBaseUrl} in the task's arguments")
    return Status.FAIL, "the task never called it" + _exit_note(evidence), "read the task's stderr below"


def _mqtt(evidence: Evidence) -> Verdict:
    if (skip := _not_run(evidence)) is not None:
        return skip
    mine = [a for a in evidence.admissions if a.caller.pid in evidence.pids]
    if not mine:
        return Status.FAIL, "the task never connected over TLS" + _exit_note(evidence), "see the task's output"
    parts = mine[0].client_id.split("_")
    pid = str(mine[0].caller.pid)
    if len(parts) == 3 and parts[0] == evidence.job.id and parts[1] and parts[2] == pid:
        return Status.PASS, f"TLS, MQTT level {mine[0].level}, client ID {mine[0].client_id!r}", ""
    return (Status.FAIL, f"client ID {mine[0].client_id!r} is not {evidence.job.id}_Token_{pid}",
            "form it as {KEEPER_JOB_ID}_{ExecutableToken}_{pid}, no underscores inside the parts")


def _logger(evidence: Evidence) -> Verdict:
    if (skip := _not_run(evidence)) is not None:
        return skip
    good = [m for m in evidence.logger if m.document and isinstance(m.document.get("MetaData"), dict)
            and m.document["MetaData"].get("Message")]
    if good:
        return Status.PASS, f"{len(good)} message(s) shown in the view", ""
    detail = "no KeeperLogger message reached the view" + _exit_note(evidence)
    if "KeeperLogger" not in evidence.job.publications:
        return Status.FAIL, detail + ": KeeperLogger is not in allowedPublications", "add it (item 5)"
    return Status.FAIL, detail, "publish the KeeperLogger envelope with QoS 1 (see the task's output)"


def _events(evidence: Evidence) -> Verdict:
    topic = evidence.job.event_topic
    declared = "eventTopic" in evidence.job.text or topic in evidence.job.publications
    if not declared:
        return Status.PASS, "no eventTopic used", ""
    if (skip := _not_run(evidence)) is not None:
        return skip
    if evidence.events:
        return Status.PASS, f"{len(evidence.events)} event(s) on {topic!r}", ""
    if topic not in evidence.job.publications:
        return Status.FAIL, f"{topic!r} is not in allowedPublications: its publishes are denied", "add it (item 5)"
    return Status.FAIL, f"no message reached {topic!r}" + _exit_note(evidence), "see the task's output"


def _signing(evidence: Evidence) -> Verdict:
    if evidence.host_os != "linux":
        return (Status.NOT_CHECKED, f"on {evidence.host_os} check the signature with signtool/codesign",
                "sign the binary; add the thumbprint to Settings:AlternativeSignatures to run it outside a job")
    if evidence.by_hand_status != 403:
        return Status.FAIL, f"a process started by hand got {evidence.by_hand_status}, not 403", ""
    if not any(r.status == 200 and r.caller.pid in evidence.pids for r in evidence.requests):
        return Status.NOT_CHECKED, "the task did not reach Plugin Settings, so trust was not exercised", ""
    return (Status.PASS, "on Linux trust comes from the job runner launching the task: it got 200, a process "
            "started by hand got 403 (sign releases where your deployment enforces it)", "")


_CHECKS = {1: _binary, 2: _identity, 3: _enabled, 4: _os_filter, 5: _topics, 6: _listed, 7: _trigger,
           8: _environment, 9: _settings, 10: _mqtt, 11: _logger, 12: _events, 13: _signing}
