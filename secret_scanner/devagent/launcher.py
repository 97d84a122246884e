"""The job runner: resolves a task's binary, starts it as the agent would, and records how the run ended.

Resolution follows the custom job guide: `executablePath` when set, else `{agent-root}/Jobs/bin/{command}/
{command}[.exe]`, else `PATH`. `{KeeperApiBaseUrl}` in `arguments` becomes this agent's HTTPS base URL.
`KEEPER_JOB_ID` and `KEEPER_JOB_NAME` are set only when the job's `mqttTopics` has an entry. The PID is
registered as trusted right after the start, and forgotten at exit. Past `timeoutSeconds` the task gets
SIGTERM, then SIGKILL after a grace period (the agent's method is undocumented; this is the gentle reading).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO

from secret_scanner.devagent.jobfile import Job, Task, runs_on
from secret_scanner.devagent.trust import LaunchRegistry

KILL_GRACE_SECONDS = 5.0
MAX_LINE_CHARS = 2000
JOB_ENV = ("KEEPER_JOB_ID", "KEEPER_JOB_NAME")


class Outcome(Enum):
    """How one task run ended."""

    EXITED = "exited"
    TIMED_OUT = "killed after timeoutSeconds"
    NOT_FOUND = "binary not found"
    START_FAILED = "could not start"
    DISABLED = "job disabled"
    OS_FILTERED = "osFilter excludes this host"
    INTERRUPTED = "stopped with the development agent"


@dataclass(frozen=True)
class RunRecord:
    """One task run: which trigger, how long, and how it ended."""

    job_id: str
    task_id: str
    trigger: str
    started_at: float
    duration: float
    outcome: Outcome
    exit_code: int | None = None
    pid: int | None = None
    detail: str = ""

    @property
    def ran(self) -> bool:
        return self.pid is not None


OutputSink = Callable[[Job, Task, int, str, str], None]  # job, task, pid, stream name, line
RunSink = Callable[[str, RunRecord | None, Job, Task, int | None], None]  # "start"/"end", ...


@dataclass(frozen=True)
class LaunchSettings:
    """Where binaries live and what to add to the environment and the command line."""

    api_base: str
    host_os: str
    agent_root: Path | None = None
    extra_arguments: tuple[str, ...] = ()


def resolve_binary(task: Task, settings: LaunchSettings, search_path: str | None) -> tuple[Path | None, list[str]]:
    """The binary the job runner would start, and every place it looked."""
    tried: list[str] = []
    if task.executable_path:
        tried.append(task.executable_path)
        path = Path(task.executable_path)
        return (path if path.is_file() else None), tried
    if not task.command:
        return None, ["(no command)"]
    if settings.agent_root is not None:
        name = f"{task.command}.exe" if settings.host_os == "windows" else task.command
        candidate = settings.agent_root / "Jobs" / "bin" / task.command / name
        tried.append(str(candidate))
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate, tried
    tried.append(f"PATH ({task.command})")
    found = shutil.which(task.command, path=search_path)
    return (Path(found) if found else None), tried


def build_arguments(task: Task, settings: LaunchSettings) -> list[str]:
    """The task's `arguments` with {KeeperApiBaseUrl} substituted, split like a shell would, plus extras."""
    text = task.arguments.replace("{KeeperApiBaseUrl}", settings.api_base)
    try:
        words = shlex.split(text, posix=settings.host_os != "windows") if text else []
    except ValueError:
        words = text.split()  # an unbalanced quote: the task gets the words, as a naive runner would
    return words + list(settings.extra_arguments)


def build_environment(job: Job, base: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key not in JOB_ENV}
    if job.declares_topics:
        env["KEEPER_JOB_ID"], env["KEEPER_JOB_NAME"] = job.id, job.name
    return env


class Runner:
    """Runs jobs; each call to `run` is one trigger firing (runs may overlap, as on the agent)."""

    def __init__(self, settings: LaunchSettings, registry: LaunchRegistry, on_output: OutputSink,
                 on_run: RunSink) -> None:
        self.settings = settings
        self.registry = registry
        self.on_output = on_output
        self.on_run = on_run
        self.records: list[RunRecord] = []
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def run(self, job: Job, trigger: str) -> list[RunRecord]:
        """Run the job's tasks in order; stop at a failed task unless it sets continueOnFailure."""
        records: list[RunRecord] = []
        for task in job.tasks:
            record = self._run_task(job, task, trigger)
            records.append(record)
            with self._lock:
                self.records.append(record)
            self.on_run("end", record, job, task, record.pid)
            failed = record.outcome is not Outcome.EXITED or record.exit_code != 0
            if failed and not task.continue_on_failure:
                break
        return records

    def stop_all(self) -> None:
        """Terminate every running task (the development agent is shutting down)."""
        with self._lock:
            self._stopping = True
            live = list(self._live)
        for process in live:
            _terminate(process)

    def _run_task(self, job: Job, task: Task, trigger: str) -> RunRecord:
        now = time.time()

        def skipped(outcome: Outcome, detail: str) -> RunRecord:
            return RunRecord(job.id, task.id, trigger, now, 0.0, outcome, detail=detail)

        if not job.enabled:
            return skipped(Outcome.DISABLED, "enabled is not true: the agent never runs it, not even on trigger")
        for where, flt in (("osFilter", job.os_filter), (f"tasks[{task.id}].osFilter", task.os_filter)):
            if not runs_on(flt, self.settings.host_os):
                return skipped(Outcome.OS_FILTERED, f"{where} does not include {self.settings.host_os}")
        env = build_environment(job, dict(os.environ))
        binary, tried = resolve_binary(task, self.settings, env.get("PATH"))
        if binary is None:
            return skipped(Outcome.NOT_FOUND, "looked in " + ", ".join(tried))
        argv = [str(binary), *build_arguments(task, self.settings)]
        started = time.monotonic()
        try:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, start_new_session=os.name != "nt")
        except OSError as exc:
            return skipped(Outcome.START_FAILED, f"{binary}: {exc.strerror or exc}")
        self.registry.register(process.pid, job.id)
        with self._lock:
            self._live.add(process)
        self.on_run("start", None, job, task, process.pid)
        readers = [threading.Thread(target=self._forward, args=(job, task, process.pid, name, stream), daemon=True)
                   for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))]
        for reader in readers:
            reader.start()
        outcome = self._wait(process, task.timeout_seconds)
        for reader in readers:
            reader.join(timeout=2)
        with self._lock:
            self._live.discard(process)
        self.registry.forget(process.pid)
        detail = f"timeoutSeconds {task.timeout_seconds}" if outcome is Outcome.TIMED_OUT else str(binary)
        return RunRecord(job.id, task.id, trigger, now, time.monotonic() - started, outcome,
                         process.returncode, process.pid, detail)

    def _wait(self, process: subprocess.Popen[bytes], timeout: int | None) -> Outcome:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _terminate(process)
            return Outcome.TIMED_OUT
        with self._lock:
            stopping = self._stopping
        return Outcome.INTERRUPTED if stopping else Outcome.EXITED

    def _forward(self, job: Job, task: Task, pid: int, name: str, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        with stream:
            for raw in stream:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")[:MAX_LINE_CHARS]
                self.on_output(job, task, pid, name, line)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=KILL_GRACE_SECONDS)


def describe(records: Sequence[RunRecord]) -> str:
    return "; ".join(f"{r.task_id}: {r.outcome.value}" for r in records)
