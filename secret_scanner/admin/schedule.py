"""The job's schedule: exactly one of intervalMinutes, cronExpression (admin/cron.py), runAt or calendar."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from secret_scanner.admin.cron import check_cron
from secret_scanner.admin.jobbase import Findings, is_int

SCHEDULE_MODES = ("intervalMinutes", "cronExpression", "runAt", "calendar")
DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def check_schedule(job: Mapping[str, Any], found: Findings) -> bool:
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
        if not is_int(value) or value <= 0:
            found.error(f"schedule.intervalMinutes: must be a positive whole number of minutes "
                        f"(got {value!r})")
    elif mode == "cronExpression":
        check_cron(value, found)
    elif mode == "runAt":
        _check_run_at(value, found)
    else:
        _check_calendar(value, found)
    return len(found.errors) == before
def _check_run_at(value: object, found: Findings) -> None:
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


def _check_calendar(value: object, found: Findings) -> None:
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
            not isinstance(month_days, list) or not all(is_int(d) and 1 <= d <= 31 for d in month_days)
        ):
            found.error(f"{here}.daysOfMonth: must be a list of 1-31")


def _is_day_of_week(day: object) -> bool:
    if is_int(day):
        return 0 <= day <= 6
    return isinstance(day, str) and day.lower() in DAY_NAMES
