"""The job's tasks: ids, command, timeouts, execution type, argument tokens, and whether the binary exists
where the agent will look for it on this host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from secret_scanner.admin.agentroot import WINDOWS, command_path
from secret_scanner.admin.jobbase import CheckOptions, Findings, check_os_filter, check_spelling, is_int

EXECUTION_TYPES = ("Service", "User", "UserDesktop", "UserElevated", "Http")

BUILTIN_TOKENS = frozenset({"KeeperApiBaseUrl"})

TASK_FIELDS = ("id", "name", "command", "executablePath", "arguments", "ExecutionType", "timeoutSeconds",
               "continueOnFailure", "scriptType", "osFilter", "condition")

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def check_tasks(
    job: Mapping[str, Any], os_filter: dict[str, bool] | None, parameters: frozenset[str],
    options: CheckOptions, found: Findings,
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
        check_spelling(task, TASK_FIELDS, f"{where}.", found)
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
        task_filter = check_os_filter(task.get("osFilter"), f"{where}.osFilter", found)
        if options.check_binaries and task.get("ExecutionType") != "Http":
            _check_binary(task, where, command, os_filter, task_filter, options, found)


def _check_task_fields(
    task: Mapping[str, Any], where: str, parameters: frozenset[str], found: Findings,
) -> None:
    timeout = task.get("timeoutSeconds")
    if not is_int(timeout) or timeout <= 0:
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
    options: CheckOptions, found: Findings,
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
