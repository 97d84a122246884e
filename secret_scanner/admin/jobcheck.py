"""Offline job validator: the rules of Keeper's job reference pages, answered like the agent's validator.

`secret-scanner-jobs validate FILE...` checks job JSON files before they reach an agent, so a broken job fails
in CI instead of on a fleet. Each file gets {"valid", "errors", "warnings", "jobId"}, the shape of
POST /api/Jobs/validate. Rules the agent enforces are errors; rules from Keeper's pre-launch checklist that
the agent would accept but that make the job useless (disabled, no trigger, no KeeperLogger permission)
are errors too, because a job that silently does nothing is worse than one the agent rejects.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeGuard

from secret_scanner.admin.agentroot import (
    OS_KEYS,
    WINDOWS,
    command_path,
    current_os,
    detect_agent_root,
    is_agent_root,
    known_roots,
)

EXECUTION_TYPES = ("Service", "User", "UserDesktop", "UserElevated", "Http")
SCHEDULE_MODES = ("intervalMinutes", "cronExpression", "runAt", "calendar")
KEEPER_LOGGER = "KeeperLogger"
BUILTIN_TOKENS = frozenset({"KeeperApiBaseUrl"})
DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

# Fields whose spelling the reference pages fix; a case-variant is probably a typo the agent may not bind.
JOB_FIELDS = ("id", "name", "description", "enabled", "priority", "schedule", "events", "parameters", "tasks",
              "condition", "alternateJobId", "osFilter", "eventTopic", "mqttTopics")
TASK_FIELDS = ("id", "name", "command", "executablePath", "arguments", "ExecutionType", "timeoutSeconds",
               "continueOnFailure", "scriptType", "osFilter", "condition")

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_SAFE_ID = re.compile(r"^[A-Za-z0-9.-]+$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ExitStatus(IntEnum):
    """Exit codes of `secret-scanner-jobs`."""

    VALID = 0
    INVALID = 1
    USAGE = 2


@dataclass(frozen=True)
class JobReport:
    """One job's verdict, in the shape of the agent's POST /api/Jobs/validate answer."""

    job_id: str | None
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "errors": list(self.errors), "warnings": list(self.warnings),
                "jobId": self.job_id}


@dataclass(frozen=True)
class CheckOptions:
    """How to validate: which host to pretend to be, and where the agent lives for the binary check."""

    host_os: str = field(default_factory=current_os)
    agent_root: Path | None = None
    check_binaries: bool = True
    allow_disabled: bool = False


class _Findings:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, text: str) -> None:
        self.errors.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)


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
    found = _Findings()
    if not isinstance(job, dict):
        return JobReport(None, ("the job must be a JSON object",), ())
    _check_spelling(job, JOB_FIELDS, "", found)
    job_id = _check_id(job, file_stem, found)
    _check_enabled(job, options, found)
    _check_name(job, found)
    _check_priority(job, found)
    has_schedule = _check_schedule(job, found)
    has_events = _check_events(job, found)
    if not has_schedule and not has_events:
        found.error("no trigger: give a `schedule` or at least one `events` entry, or the job never runs")
    os_filter = _check_os_filter(job.get("osFilter"), "osFilter", found)
    parameters = _check_parameters(job, found)
    _check_mqtt(job, job_id, found)
    _check_tasks(job, os_filter, parameters, options, found)
    return JobReport(job_id, tuple(found.errors), tuple(found.warnings))


def _check_spelling(obj: Mapping[str, Any], known: Sequence[str], where: str, found: _Findings) -> None:
    by_lower = {name.lower(): name for name in known}
    for key in obj:
        expected = by_lower.get(key.lower())
        if expected is not None and expected != key:
            found.warn(f"{where}{key}: the reference spells this field `{expected}`; "
                       f"the agent may ignore `{key}`")


def _check_id(job: Mapping[str, Any], file_stem: str | None, found: _Findings) -> str | None:
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


def _check_enabled(job: Mapping[str, Any], options: CheckOptions, found: _Findings) -> None:
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


def _check_name(job: Mapping[str, Any], found: _Findings) -> None:
    name = job.get("name")
    if name is None:
        found.warn("name: absent; logs and admin views show the job's display name")
    elif not isinstance(name, str) or not name.strip():
        found.error("name: must be a non-empty string")
    if "description" in job and job["description"] is not None and not isinstance(job["description"], str):
        found.error("description: must be a string")


def _check_priority(job: Mapping[str, Any], found: _Findings) -> None:
    if "priority" not in job or job["priority"] is None:
        return
    priority = job["priority"]
    if not _is_int(priority) or not 1 <= priority <= 10:
        found.error(f"priority: must be a whole number from 1 to 10 (got {priority!r})")


def _check_schedule(job: Mapping[str, Any], found: _Findings) -> bool:
    """Return whether the job has a usable schedule trigger."""
    if "schedule" not in job or job["schedule"] is None:
        return False
    schedule = job["schedule"]
    if not isinstance(schedule, dict):
        found.error("schedule: must be an object with one of " + ", ".join(SCHEDULE_MODES))
        return False
    modes = [mode for mode in SCHEDULE_MODES if schedule.get(mode) is not None]
    if not modes:
        found.error("schedule: has no mode; give exactly one of " + ", ".join(SCHEDULE_MODES))
        return False
    if len(modes) > 1:
        found.error(f"schedule: only one mode may be active per job (found {', '.join(modes)})")
        return False
    for key in schedule:
        if key not in SCHEDULE_MODES:
            found.warn(f"schedule.{key}: not a documented schedule field; the agent may ignore it")
    mode = modes[0]
    value = schedule[mode]
    before = len(found.errors)
    if mode == "intervalMinutes":
        if not _is_int(value) or value <= 0:
            found.error(f"schedule.intervalMinutes: must be a positive whole number of minutes "
                        f"(got {value!r})")
    elif mode == "cronExpression":
        _check_cron(value, found)
    elif mode == "runAt":
        _check_run_at(value, found)
    else:
        _check_calendar(value, found)
    return len(found.errors) == before


# (name, low, high, names) per cron field; day-of-week 7 is Sunday in most cron dialects.
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    ("day-of-week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)


def _check_cron(value: object, found: _Findings) -> None:
    where = "schedule.cronExpression"
    if not isinstance(value, str):
        found.error(f"{where}: must be a string like \"0 3 * * *\"")
        return
    fields = value.split()
    if len(fields) != 5:
        found.error(f"{where}: {value!r} has {len(fields)} fields; it needs five "
                    "(minute hour day-of-month month day-of-week)")
        return
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(text, low, high, names, allow_question=name.startswith("day"))
        if problem:
            found.error(f"{where}: {name} field {text!r}: {problem}")


def _cron_field_problem(text: str, low: int, high: int, names: tuple[str, ...], allow_question: bool) -> str:
    if allow_question and text == "?":
        return ""
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash:
            if not step.isdigit() or int(step) == 0:
                return f"step {step!r} must be a positive whole number"
            if int(step) > high - low + 1:
                return f"step {step} is larger than the range {low}-{high}"
        if base == "*":
            continue
        start_text, dash, end_text = base.partition("-")
        start = _cron_value(start_text, low, names)
        if start is None:
            return f"{start_text!r} is not a number or name"
        end = start
        if dash:
            parsed_end = _cron_value(end_text, low, names)
            if parsed_end is None:
                return f"{end_text!r} is not a number or name"
            end = parsed_end
        for number in (start, end):
            if not low <= number <= high:
                return f"{number} is outside {low}-{high}"
        if end < start:
            return f"range {base!r} runs backwards"
    return ""


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    if upper in names:
        return names.index(upper) + low
    return None


def _check_run_at(value: object, found: _Findings) -> None:
    where = "schedule.runAt"
    if not isinstance(value, str) or not value.endswith("Z"):
        found.error(f"{where}: must be an ISO-8601 UTC time ending in Z, like 2025-06-01T02:00:00Z "
                    f"(got {value!r})")
        return
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        found.error(f"{where}: {value!r} is not an ISO-8601 date and time")
        return
    if "T" not in value.upper():
        found.error(f"{where}: {value!r} has no time of day; write it like 2025-06-01T02:00:00Z")
    elif when < datetime.now(UTC):
        found.warn(f"{where}: {value} is in the past; a one-time job whose time has passed never runs")


def _check_calendar(value: object, found: _Findings) -> None:
    where = "schedule.calendar"
    if not isinstance(value, list) or not value:
        found.error(f"{where}: must be a non-empty list of entries like "
                    '{"time": "HH:MM", "daysOfWeek": [1, 3]}')
        return
    for index, entry in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            found.error(f"{here}: must be an object")
            continue
        time = entry.get("time")
        if not isinstance(time, str) or not _HHMM.match(time):
            found.error(f"{here}.time: must be a 24-hour time HH:MM (got {time!r})")
        days = entry.get("daysOfWeek")
        if days is not None:
            if not isinstance(days, list) or not days:
                found.error(f"{here}.daysOfWeek: must be a non-empty list of 0-6 (Sunday=0) or day names")
            else:
                for day in days:
                    if not _is_day_of_week(day):
                        found.error(f"{here}.daysOfWeek: {day!r} is not 0-6 (Sunday=0) or a day name")
        month_days = entry.get("daysOfMonth")
        if month_days is not None and (
            not isinstance(month_days, list) or not all(_is_int(d) and 1 <= d <= 31 for d in month_days)
        ):
            found.error(f"{here}.daysOfMonth: must be a list of 1-31")


def _is_day_of_week(day: object) -> bool:
    if _is_int(day):
        return 0 <= day <= 6
    return isinstance(day, str) and day.lower() in DAY_NAMES


def _check_events(job: Mapping[str, Any], found: _Findings) -> bool:
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


def _check_os_filter(value: object, where: str, found: _Findings) -> dict[str, bool] | None:
    """Return the platforms the filter allows (None: no filter, every OS)."""
    if value is None:
        if where == "osFilter":
            found.warn("osFilter: absent; the job runs on every OS and the binary must exist on every "
                       "validating host; set only the target platform to true")
        return None
    if not isinstance(value, dict):
        found.error(f"{where}: must be an object like "
                    '{"windows": true, "linux": false, "macOS": false}')
        return None
    allowed: dict[str, bool] = dict.fromkeys(OS_KEYS, False)
    by_lower = {key.lower(): key for key in OS_KEYS}
    for key, flag in value.items():
        canonical = by_lower.get(key.lower())
        if canonical is None:
            found.warn(f"{where}.{key}: not an OS the agent knows (windows, linux, macOS); ignored")
            continue
        if canonical != key:
            found.warn(f"{where}.{key}: spell it `{canonical}`")
        if not isinstance(flag, bool):
            found.error(f"{where}.{key}: must be true or false (got {flag!r})")
            continue
        allowed[canonical] = flag
    if not any(allowed.values()):
        found.error(f"{where}: no OS is true, so the job never runs anywhere; "
                    "set the target platform to true")
    return allowed


def _check_parameters(job: Mapping[str, Any], found: _Findings) -> frozenset[str]:
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


def _check_mqtt(job: Mapping[str, Any], job_id: str | None, found: _Findings) -> None:
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


def _topic_list(topics: Mapping[str, Any], key: str, found: _Findings) -> list[str] | None:
    value = topics.get(key)
    if value is None:
        if key == "allowedPublications":
            found.error(f"mqttTopics.{key}: missing; it must include {KEEPER_LOGGER!r}")
        return None
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        found.error(f"mqttTopics.{key}: must be a list of topic strings")
        return None
    return list(value)


def _check_tasks(
    job: Mapping[str, Any], os_filter: dict[str, bool] | None, parameters: frozenset[str],
    options: CheckOptions, found: _Findings,
) -> None:
    tasks = job.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        found.error("tasks: must be a non-empty list; a job without tasks does nothing")
        return
    seen: set[str] = set()
    for index, task in enumerate(tasks):
        where = f"tasks[{index}]"
        if not isinstance(task, dict):
            found.error(f"{where}: must be an object")
            continue
        _check_spelling(task, TASK_FIELDS, f"{where}.", found)
        task_id = task.get("id")
        if not isinstance(task_id, str) or not task_id.strip():
            found.error(f"{where}.id: missing; every task needs an id unique within the job")
        elif task_id in seen:
            found.error(f"{where}.id: {task_id!r} is used by another task; task ids must be unique")
        else:
            seen.add(task_id)
        command = task.get("command")
        if not isinstance(command, str) or not command.strip():
            found.error(f"{where}.command: missing; the job schema requires it even when "
                        "executablePath is set")
            command = None
        elif "/" in command or "\\" in command:
            found.warn(f"{where}.command: {command!r} contains a path; give the bare name and install the "
                       "binary under Jobs/bin/{command}/, or set executablePath")
        _check_task_fields(task, where, parameters, found)
        task_filter = _check_os_filter(task.get("osFilter"), f"{where}.osFilter", found)
        if options.check_binaries and task.get("ExecutionType") != "Http":
            _check_binary(task, where, command, os_filter, task_filter, options, found)


def _check_task_fields(
    task: Mapping[str, Any], where: str, parameters: frozenset[str], found: _Findings,
) -> None:
    timeout = task.get("timeoutSeconds")
    if not _is_int(timeout) or timeout <= 0:
        found.error(f"{where}.timeoutSeconds: must be a positive whole number of seconds (got {timeout!r}); "
                    "without it a hung task is never killed")
    execution = task.get("ExecutionType")
    if execution is not None and execution not in EXECUTION_TYPES:
        found.error(f"{where}.ExecutionType: {execution!r} is not one of {', '.join(EXECUTION_TYPES)}")
    for key in ("continueOnFailure",):
        if key in task and not isinstance(task[key], bool):
            found.error(f"{where}.{key}: must be true or false")
    for key in ("name", "arguments", "scriptType", "executablePath"):
        if key in task and task[key] is not None and not isinstance(task[key], str):
            found.error(f"{where}.{key}: must be a string")
    arguments = task.get("arguments")
    if isinstance(arguments, str):
        for token in _TOKEN.findall(arguments):
            if token not in BUILTIN_TOKENS and token not in parameters:
                found.warn(f"{where}.arguments: {{{token}}} is neither a documented built-in token nor a "
                           "declared parameter; the agent may pass it literally")


def _check_binary(
    task: Mapping[str, Any], where: str, command: str | None,
    os_filter: dict[str, bool] | None, task_filter: dict[str, bool] | None,
    options: CheckOptions, found: _Findings,
) -> None:
    host = options.host_os
    for active in (os_filter, task_filter):
        if active is not None and not active.get(host, False):
            found.warn(f"{where}: binary check skipped: osFilter excludes this host ({host}), "
                       "as the agent does")
            return
    if options.agent_root is None:
        found.warn(f"{where}: binary check skipped: no agent root given (--agent-root) or found on this host")
        return
    executable = task.get("executablePath")
    if isinstance(executable, str) and executable:
        path = Path(executable)
        pure = PureWindowsPath(executable) if host == WINDOWS else PurePosixPath(executable)
        if not pure.is_absolute():
            found.error(f"{where}.executablePath: {executable!r} must be an absolute path")
            return
        label = "executablePath"
    elif command is not None:
        path = Path(command_path(options.agent_root, command, host))
        label = "command"
    else:
        return
    if not path.is_file():
        found.error(f"{where}.{label}: binary not found at {path}; "
                    "deploy the binary before registering the job")
    elif host != WINDOWS and not _is_executable(path):
        found.error(f"{where}.{label}: {path} is not executable (chmod 755)")


def _is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o111)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- command line ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secret-scanner-jobs",
        description="Check KEPM job JSON files offline, with the rules of Keeper's job reference.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser("validate",
                                   help="validate job files; exit 0 all valid, 1 any invalid, 2 usage")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE", help="job JSON file(s)")
    validate.add_argument("--agent-root", type=Path, metavar="DIR",
                          help="agent install root for the binary check (default: detected from known roots)")
    validate.add_argument("--no-binary-check", action="store_true",
                          help="skip the binary-exists check even when an agent root is found")
    validate.add_argument("--allow-disabled", action="store_true",
                          help="report enabled:false as a warning instead of an error")
    validate.add_argument("--json", action="store_true", help="print a JSON array of per-file answers")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return ExitStatus.VALID if exc.code in (0, None) else ExitStatus.USAGE
    agent_root: Path | None = args.agent_root
    if agent_root is not None and not is_agent_root(agent_root):
        print(f"secret-scanner-jobs: error: --agent-root {agent_root} holds no Jobs/ directory",
              file=sys.stderr)
        return ExitStatus.USAGE
    if agent_root is None and not args.no_binary_check:
        agent_root = detect_agent_root()
        if agent_root is None:
            tried = ", ".join(str(root) for root in known_roots())
            print(f"secret-scanner-jobs: no agent root found (tried {tried}); binary checks skipped",
                  file=sys.stderr)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"secret-scanner-jobs: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return ExitStatus.USAGE
    options = CheckOptions(host_os=current_os(), agent_root=agent_root,
                           check_binaries=not args.no_binary_check, allow_disabled=args.allow_disabled)
    answers = [(path, validate_file(path, options)) for path in args.files]
    if args.json:
        print(json.dumps([{"file": str(path), **report.to_dict()} for path, report in answers], indent=2))
    else:
        for path, report in answers:
            print(f"{path}: {'valid' if report.valid else 'INVALID'} (jobId {report.job_id})")
            for text in report.errors:
                print(f"  error: {text}")
            for text in report.warnings:
                print(f"  warning: {text}")
    return ExitStatus.VALID if all(report.valid for _, report in answers) else ExitStatus.INVALID


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
