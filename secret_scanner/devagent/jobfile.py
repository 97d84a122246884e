"""A job JSON file as the job runner reads it: triggers, platforms, MQTT grants and tasks.

Reading is lenient where the agent is (unknown fields are ignored; the offline validator, jobcheck, judges the
rest) and strict only where nothing could run: an unreadable file, text that is not JSON, or JSON that is not
an object. Files are bounded: a job definition is small.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secret_scanner.devagent.faults import JobFileError

MAX_JOB_BYTES = 1024 * 1024
OS_KEYS = ("windows", "linux", "macOS")


@dataclass(frozen=True)
class Task:
    """One task of a job."""

    id: str
    name: str
    command: str
    executable_path: str | None
    arguments: str
    timeout_seconds: int | None
    continue_on_failure: bool
    execution_type: str
    os_filter: Mapping[str, bool] | None


@dataclass(frozen=True)
class Job:
    """One job definition."""

    path: Path
    id: str
    name: str
    enabled: bool
    interval_minutes: int | None
    schedule_mode: str | None
    events: tuple[str, ...]
    os_filter: Mapping[str, bool] | None
    publications: tuple[str, ...]
    subscriptions: tuple[str, ...]
    event_topic: str
    tasks: tuple[Task, ...]
    text: str

    @property
    def declares_topics(self) -> bool:
        """The agent sets KEEPER_JOB_ID and KEEPER_JOB_NAME only when mqttTopics has an entry."""
        return bool(self.publications or self.subscriptions)

    @property
    def fires_on_startup(self) -> bool:
        return any(event.lower() == "startup" for event in self.events)


def runs_on(os_filter: Mapping[str, bool] | None, host_os: str) -> bool:
    """Whether an osFilter lets a job (or task) run on `host_os`; no filter means every OS."""
    if os_filter is None:
        return True
    return bool(os_filter.get(host_os, False))


def load_job(path: Path) -> Job:
    """Read and model one job file; JobFileError (one line) when nothing could run from it."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_JOB_BYTES + 1)
    except OSError as exc:
        raise JobFileError(f"{path}: cannot read the job file ({exc.strerror or exc})") from exc
    if len(raw) > MAX_JOB_BYTES:
        raise JobFileError(f"{path}: larger than {MAX_JOB_BYTES} bytes; not a job definition")
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise JobFileError(f"{path}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise JobFileError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise JobFileError(f"{path}: the job must be a JSON object")
    job_id = _text(data.get("id")) or path.stem
    topics = _mapping(data.get("mqttTopics"))
    schedule = _mapping(data.get("schedule"))
    mode = next((key for key in ("intervalMinutes", "cronExpression", "runAt", "calendar")
                 if schedule.get(key) is not None), None)
    interval = schedule.get("intervalMinutes")
    tasks = data["tasks"] if isinstance(data.get("tasks"), list) else []
    return Job(
        path=path,
        id=job_id,
        name=_text(data.get("name")) or job_id,
        enabled=data.get("enabled", True) is True,
        interval_minutes=interval if _positive_int(interval) else None,
        schedule_mode=mode,
        events=_events(data.get("events")),
        os_filter=_os_filter(data.get("osFilter")),
        publications=_topics(topics.get("allowedPublications")),
        subscriptions=_topics(topics.get("allowedSubscriptions")),
        event_topic=_text(data.get("eventTopic")) or f"Jobs/{job_id}/events",
        tasks=tuple(_task(item, index) for index, item in enumerate(tasks) if isinstance(item, dict)),
        text=text,
    )


def _task(data: Mapping[str, Any], index: int) -> Task:
    timeout = data.get("timeoutSeconds")
    return Task(
        id=_text(data.get("id")) or f"task-{index}",
        name=_text(data.get("name")) or _text(data.get("id")) or f"task-{index}",
        command=_text(data.get("command")),
        executable_path=_text(data.get("executablePath")) or None,
        arguments=_text(data.get("arguments")),
        timeout_seconds=timeout if _positive_int(timeout) else None,
        continue_on_failure=data.get("continueOnFailure") is True,
        execution_type=_text(data.get("ExecutionType")) or "Service",
        os_filter=_os_filter(data.get("osFilter")),
    )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _events(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = [item.get("eventType") if isinstance(item, dict) else item for item in value]
    return tuple(name.strip() for name in names if isinstance(name, str) and name.strip())


def _os_filter(value: object) -> Mapping[str, bool] | None:
    if not isinstance(value, dict):
        return None
    by_lower = {key.lower(): key for key in OS_KEYS}
    allowed = dict.fromkeys(OS_KEYS, False)
    for key, flag in value.items():
        canonical = by_lower.get(str(key).lower())
        if canonical is not None and flag is True:
            allowed[canonical] = True
    return allowed


def _topics(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(topic for topic in value if isinstance(topic, str) and topic)
