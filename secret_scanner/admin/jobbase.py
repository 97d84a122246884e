"""What every part of the offline job check shares: the options, the verdict, the findings collector, and the
checks used at both job and task level (field spelling, osFilter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from secret_scanner.admin.agentroot import OS_KEYS, current_os


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


class Findings:
    """The errors and warnings one job check collects."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, text: str) -> None:
        self.errors.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

def check_spelling(obj: Mapping[str, Any], known: Sequence[str], where: str, found: Findings) -> None:
    by_lower = {name.lower(): name for name in known}
    for key in obj:
        expected = by_lower.get(key.lower())
        if expected is not None and expected != key:
            found.warn(f"{where}{key}: the reference spells this field `{expected}`; "
                       f"the agent may ignore `{key}`")

def check_os_filter(value: object, where: str, found: Findings) -> dict[str, bool] | None:
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

def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
