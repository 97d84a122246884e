"""Offline job validator: the rules of Keeper's job reference pages, answered like the agent's validator.

`secret-scanner-jobs validate FILE...` (cli/jobs.py) checks job JSON files before they reach an agent, so a
broken job fails in CI instead of on a fleet. Each file gets {"valid", "errors", "warnings", "jobId"}, the shape of
POST /api/Jobs/validate. Rules the agent enforces are errors; rules from Keeper's pre-launch checklist that
the agent would accept but that make the job useless (disabled, no trigger, no KeeperLogger permission)
are errors too, because a job that silently does nothing is worse than one the agent rejects. The schedule and
the tasks are checked in admin/schedule.py and admin/tasks.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secret_scanner.admin.jobbase import CheckOptions, Findings, JobReport, check_os_filter, check_spelling, is_int
from secret_scanner.admin.schedule import check_schedule
from secret_scanner.admin.tasks import check_tasks

__all__ = ["CheckOptions", "JobReport", "validate_file", "validate_job", "validate_text"]

KEEPER_LOGGER = "KeeperLogger"


# Fields whose spelling the reference pages fix; a case-variant is probably a typo the agent may not bind.
JOB_FIELDS = ("id", "name", "description", "enabled", "priority", "schedule", "events", "parameters", "tasks",
              "condition", "alternateJobId", "osFilter", "eventTopic", "mqttTopics")

_SAFE_ID = re.compile(r"^[A-Za-z0-9.-]+$")


def validate_text(text: str, file_stem: str | None = None, options: CheckOptions | None = None) -> JobReport:
    """Validate job JSON text; `file_stem` is the file name without .json when the job comes from a file."""
    try:
        job = json.loads(text)
    except json.JSONDecodeError as exc:
        return JobReport(None, (f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",), ())
    return validate_job(job, file_stem, options)


def validate_file(path: Path, options: CheckOptions | None = None) -> JobReport:
    """Validate one job file. An unreadable file is an invalid job, not a crash."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return JobReport(None, (f"cannot read {path}: {exc}",), ())
    return validate_text(text, path.stem if path.suffix == ".json" else path.name, options)


def validate_job(job: object, file_stem: str | None = None, options: CheckOptions | None = None) -> JobReport:
    """Validate a parsed job definition."""
    options = options or CheckOptions()
    found = Findings()
    if not isinstance(job, dict):
        return JobReport(None, ("the job must be a JSON object",), ())
    check_spelling(job, JOB_FIELDS, "", found)
    job_id = _check_id(job, file_stem, found)
    _check_enabled(job, options, found)
    _check_name(job, found)
    _check_priority(job, found)
    has_schedule = check_schedule(job, found)
    has_events = _check_events(job, found)
    if not has_schedule and not has_events:
        found.error("no trigger: give a `schedule` or at least one `events` entry, or the job never runs")
    os_filter = check_os_filter(job.get("osFilter"), "osFilter", found)
    parameters = _check_parameters(job, found)
    _check_mqtt(job, job_id, found)
    check_tasks(job, os_filter, parameters, options, found)
    return JobReport(job_id, tuple(found.errors), tuple(found.warnings))

def _check_id(job: Mapping[str, Any], file_stem: str | None, found: Findings) -> str | None:
    job_id = job.get("id")
    if job_id is None:
        found.error("id: missing; it must equal the file name without .json")
        return None
    if not isinstance(job_id, str) or not job_id.strip():
        found.error("id: must be a non-empty string")
        return None
    if "_" in job_id:
        found.error(
            f"id: {job_id!r} contains an underscore; use hyphens. The MQTT broker splits the client ID "
            "{jobId}_{ExecutableToken}_{pid} on underscores to find the job, so an underscore in the id "
            "associates the task with the wrong job and its publishes are denied"
        )
    elif not _SAFE_ID.match(job_id):
        found.warn(f"id: {job_id!r} has characters other than letters, digits, '-' and '.'; "
                   "it is URL-encoded in API paths and may not match its file name on every OS")
    if file_stem is not None and job_id != file_stem:
        found.error(f"id: {job_id!r} does not match the file name {file_stem + '.json'!r}; "
                    "the agent requires Jobs/{id}.json")
    return job_id


def _check_enabled(job: Mapping[str, Any], options: CheckOptions, found: Findings) -> None:
    if "enabled" not in job:
        found.warn("enabled: absent; set it to true explicitly (a job with enabled false never runs)")
        return
    enabled = job["enabled"]
    if not isinstance(enabled, bool):
        found.error(f"enabled: must be true or false (got {enabled!r})")
    elif not enabled:
        text = "enabled: false: the agent accepts the job but never runs it, not even when triggered"
        if options.allow_disabled:
            found.warn(text)
        else:
            found.error(text + " (pass --allow-disabled to stage a disabled job on purpose)")


def _check_name(job: Mapping[str, Any], found: Findings) -> None:
    name = job.get("name")
    if name is None:
        found.warn("name: absent; logs and admin views show the job's display name")
    elif not isinstance(name, str) or not name.strip():
        found.error("name: must be a non-empty string")
    if "description" in job and job["description"] is not None and not isinstance(job["description"], str):
        found.error("description: must be a string")


def _check_priority(job: Mapping[str, Any], found: Findings) -> None:
    if "priority" not in job or job["priority"] is None:
        return
    priority = job["priority"]
    if not is_int(priority) or not 1 <= priority <= 10:
        found.error(f"priority: must be a whole number from 1 to 10 (got {priority!r})")
def _check_events(job: Mapping[str, Any], found: Findings) -> bool:
    """Return whether the job has at least one event trigger. Both documented shapes are accepted."""
    if "events" not in job or job["events"] is None:
        return False
    events = job["events"]
    if not isinstance(events, list):
        found.error("events: must be a list, like [{\"eventType\": \"Startup\"}] or [\"Startup\"]")
        return False
    usable = 0
    for index, event in enumerate(events):
        name = event.get("eventType") if isinstance(event, dict) else event
        if isinstance(name, str) and name.strip():
            usable += 1
        else:
            found.error(f"events[{index}]: must be an event name or an object with a non-empty `eventType`")
    return usable > 0

def _check_parameters(job: Mapping[str, Any], found: Findings) -> frozenset[str]:
    parameters = job.get("parameters")
    if parameters is None:
        return frozenset()
    if not isinstance(parameters, list):
        found.error("parameters: must be a list")
        return frozenset()
    names: set[str] = set()
    for index, parameter in enumerate(parameters):
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if not isinstance(name, str) or not name:
            found.error(f"parameters[{index}]: must be an object with a non-empty `name`")
        else:
            names.add(name)
    return frozenset(names)


def _check_mqtt(job: Mapping[str, Any], job_id: str | None, found: Findings) -> None:
    topics = job.get("mqttTopics")
    event_topic = job.get("eventTopic")
    if event_topic is not None and (not isinstance(event_topic, str) or not event_topic.strip()):
        found.error("eventTopic: must be a non-empty topic string")
        event_topic = None
    if topics is None:
        found.error(f"mqttTopics: absent; allowedPublications must include {KEEPER_LOGGER!r} or every log "
                    "publish is denied (and the agent does not set KEEPER_JOB_ID without it)")
        return
    if not isinstance(topics, dict):
        found.error("mqttTopics: must be an object with allowedPublications and allowedSubscriptions")
        return
    publications = _topic_list(topics, "allowedPublications", found)
    _topic_list(topics, "allowedSubscriptions", found)
    if publications is None:
        return
    if KEEPER_LOGGER not in publications:
        found.error(f"mqttTopics.allowedPublications: must include {KEEPER_LOGGER!r}; the broker denies "
                    "every log publish to a topic missing from this list")
    if event_topic is not None:
        if event_topic not in publications:
            found.error(f"eventTopic: {event_topic!r} is not in mqttTopics.allowedPublications; "
                        "its publishes are silently dropped")
    elif job_id is not None:
        default = f"Jobs/{job_id}/events"
        if default not in publications:
            found.warn(f"eventTopic: absent, so it defaults to {default!r}, which is not in "
                       "mqttTopics.allowedPublications: event publishes would be dropped")


def _topic_list(topics: Mapping[str, Any], key: str, found: Findings) -> list[str] | None:
    value = topics.get(key)
    if value is None:
        if key == "allowedPublications":
            found.error(f"mqttTopics.{key}: missing; it must include {KEEPER_LOGGER!r}")
        return None
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        found.error(f"mqttTopics.{key}: must be a list of topic strings")
        return None
    return list(value)
