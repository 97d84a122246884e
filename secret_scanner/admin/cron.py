"""Cron expressions in a job's schedule.cronExpression: five fields, each a list of values, ranges, steps or
names, checked the way the agent's scheduler reads them; each problem names the field and why.
"""

from __future__ import annotations

from secret_scanner.admin.jobbase import Findings

# (name, low, high, names) per cron field; day-of-week 7 is Sunday in most cron dialects.
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    ("day-of-week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)


def check_cron(value: object, found: Findings) -> None:
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
