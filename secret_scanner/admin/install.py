"""What secret-scanner-deploy does to the machine and checks on the agent, without any command line: the plan,
the job file, the install of the binary folder under the agent root, the read-back check, and the JobUpdate policy.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secret_scanner.admin.agentapi import ApiTarget
from secret_scanner.admin.agentroot import (
    WINDOWS,
    command_path,
    current_os,
    detect_agent_root,
    executable_name,
    is_agent_root,
    known_roots,
)
from secret_scanner.errors import ScannerError, UsageError


class InstallError(ScannerError):
    """The binary folder could not be installed under the agent root."""


@dataclass(frozen=True)
class Plan:
    """What a deploy will do, worked out before anything is touched."""

    job: dict[str, Any]
    job_id: str
    command: str
    agent_root: Path | None
    binary_dir: Path | None
    target: ApiTarget
    trigger: bool

    @property
    def install_dir(self) -> Path | None:
        if self.agent_root is None or self.binary_dir is None:
            return None
        return self.agent_root / "Jobs" / "bin" / self.command

def policy_for(job: dict[str, Any], action: str) -> dict[str, Any]:
    """The JobUpdate policy body for the Admin Console (Advanced Mode JSON)."""
    return {
        "PolicyType": "JobUpdate",
        "Extension": {
            "JobId": job["id"],
            "Action": action,
            "JobJson": json.dumps(job, separators=(",", ":")),
        },
    }


def load_job(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The job object, or problems with its text; UsageError when the file cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--job {path}: cannot read: {exc.strerror or exc}") from exc
    try:
        job = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, [f"not valid JSON: {exc.msg} at line {exc.lineno}"]
    if not isinstance(job, dict):
        return {}, ["the job must be a JSON object"]
    return job, []

def single_command(job: dict[str, Any]) -> str:
    """The one command the job's non-HTTP tasks run: this tool installs one binary folder per job."""
    commands = {str(task["command"]) for task in job["tasks"] if task.get("ExecutionType") != "Http"}
    if len(commands) != 1:
        raise UsageError(f"the job runs {len(commands)} different commands ({', '.join(sorted(commands))}); "
                         "this tool installs one binary folder per job")
    return commands.pop()


def resolve_agent_root(given: Path | None) -> Path:
    """The agent root given (checked), or the first known one found; UsageError if none."""
    if given is not None:
        if not is_agent_root(given):
            raise UsageError(f"--agent-root {given}: no Jobs/ directory there; is the agent installed?")
        return given
    found = detect_agent_root()
    if found is None:
        tried = ", ".join(str(root) for root in known_roots())
        raise UsageError(f"no agent root found (tried {tried}); pass --agent-root")
    return found


def check_binary_dir(binary_dir: Path, command: str) -> None:
    """UsageError unless `binary_dir` holds the executable for `command` on this OS."""
    executable = binary_dir / executable_name(command, current_os())
    if not binary_dir.is_dir():
        raise UsageError(f"--binary-dir {binary_dir}: not a directory")
    if not executable.is_file():
        raise UsageError(f"--binary-dir {binary_dir}: no {executable.name} inside; give the built "
                         f"{command} folder (dist/{command}/)")
    if current_os() != WINDOWS and not os.access(executable, os.X_OK):
        raise UsageError(f"--binary-dir: {executable} is not executable")


def with_executable_path(job: dict[str, Any], root: Path, command: str) -> dict[str, Any]:
    """The job with executablePath set on each task that runs `command`."""
    path = str(command_path(root, command, current_os()))
    tasks = [dict(task, executablePath=path) if task.get("command") == command else task
             for task in job["tasks"]]
    return dict(job, tasks=tasks)

def verify_stored(stored: dict[str, Any] | None, plan: Plan) -> str:
    """What is wrong with the job the agent gave back after saving (\"\" when nothing is)."""
    if stored is None:
        return f"job {plan.job_id} was saved but GET /api/Jobs/{plan.job_id} does not find it"
    wrapped = stored.get("job", stored.get("Job"))
    if isinstance(wrapped, dict):  # the response shape is undocumented beyond "job definition JSON"
        stored = wrapped
    if stored.get("id", stored.get("Id")) != plan.job_id:
        return f"GET /api/Jobs/{plan.job_id} returned a job with id {stored.get('id')!r}"
    tasks = stored.get("tasks", stored.get("Tasks"))
    commands = {t.get("command", t.get("Command")) for t in tasks if isinstance(t, dict)} \
        if isinstance(tasks, list) else set()
    if plan.command not in commands:
        return f"the stored job {plan.job_id} has no task running {plan.command}"
    return ""


def install_binary(source: Path, install_dir: Path) -> Path:
    """Copy `source` to `install_dir`, swapping it in whole so the job runner never sees a half-copied folder.

    The copy lands in a hidden sibling first; the old folder is moved aside, the new one renamed into place,
    and the old one deleted. If the swap fails (on Windows: the scanner is running), the old folder returns.
    """
    parent = install_dir.parent
    try:
        parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{install_dir.name}.new-", dir=parent))
    except OSError as exc:
        raise InstallError(f"cannot create {parent}: {exc.strerror or exc}") from exc
    try:
        shutil.copytree(source, staging, symlinks=True, dirs_exist_ok=True)
        _restrict_writes(staging)
    except (OSError, shutil.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InstallError(f"cannot copy {source} to {parent}: {exc}") from exc
    retired = parent / f".{install_dir.name}.old-{uuid.uuid4().hex[:8]}"
    had_old = install_dir.exists()
    try:
        if had_old:
            install_dir.rename(retired)
        staging.rename(install_dir)
    except OSError as exc:
        if had_old and retired.exists() and not install_dir.exists():
            retired.rename(install_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise InstallError(f"cannot replace {install_dir} ({exc.strerror or exc}); if SecretScanner is "
                           "running, retry when the run ends") from exc
    if had_old:
        shutil.rmtree(retired, ignore_errors=True)
    return install_dir


def _restrict_writes(root: Path) -> None:
    """Only the owner (root / the installing admin) may change what the agent will run as a service."""
    if current_os() == WINDOWS:
        return  # ACLs are inherited from Jobs\bin under Program Files, which only administrators can write
    for path in (root, *root.rglob("*")):
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o7777
        path.chmod(mode & ~0o022)
