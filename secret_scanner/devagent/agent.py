"""The development agent assembled: certificate, mosquitto, gate, Plugin Settings, runner and view.

Use as a context manager: everything starts on free loopback ports (or the ports given) in a private temporary
directory and stops, with every task it launched, on exit.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from secret_scanner.admin.agentroot import current_os
from secret_scanner.devagent.broker import Broker, TopicGrant, find_mosquitto, require_free_port
from secret_scanner.devagent.certificate import mint_certificate
from secret_scanner.devagent.faults import EnvironmentFault, JobFileError
from secret_scanner.devagent.gate import Admission, Gate
from secret_scanner.devagent.jobfile import Job, Task
from secret_scanner.devagent.launcher import LaunchSettings, Outcome, Runner, RunRecord
from secret_scanner.devagent.pluginserver import PluginServer, SettingsRequest
from secret_scanner.devagent.trust import LaunchRegistry
from secret_scanner.devagent.view import View

# The product's documented exit codes (README), shown beside a SecretScanner task's exit code.
PRODUCT_EXIT_CODES = {0: "clean", 1: "secrets found", 2: "usage or configuration error", 3: "scan incomplete",
                      4: "delivery failed", 5: "skipped: another run holds the lock", 70: "internal error"}
# Which pre-launch checklist item (custom job guide) names each way a run can fail to happen.
CHECKLIST_ITEM = {Outcome.NOT_FOUND: 1, Outcome.DISABLED: 3, Outcome.OS_FILTERED: 4, Outcome.TIMED_OUT: 7}


@dataclass(frozen=True)
class AgentOptions:
    mosquitto: str | None = None
    api_port: int = 0
    broker_port: int = 0
    agent_root: Path | None = None
    extra_arguments: tuple[str, ...] = ()
    host_os: str = current_os()


class DevAgent:
    """Everything a job task meets on an endpoint, on this machine."""

    def __init__(self, jobs: Sequence[Job], options: AgentOptions, view: View) -> None:
        seen: dict[str, Path] = {}
        for job in jobs:
            if job.id in seen:
                raise JobFileError(f"{job.path}: job id {job.id!r} is also the id of {seen[job.id]}")
            seen[job.id] = job.path
        self.jobs = tuple(jobs)
        self.options = options
        self.view = view
        self.registry = LaunchRegistry()
        self._directory: Path | None = None
        self.broker: Broker | None = None
        self.gate: Gate | None = None
        self.plugin: PluginServer | None = None
        self.runner: Runner | None = None

    def __enter__(self) -> DevAgent:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        mosquitto = find_mosquitto(self.options.mosquitto)
        for port, what in ((self.options.api_port, "--api-port"), (self.options.broker_port, "--broker-port")):
            if port:
                require_free_port(port, what)
        self._directory = Path(tempfile.mkdtemp(prefix="secret-scanner-devagent-"))
        certificate = mint_certificate(self._directory)
        grants = {job.id: TopicGrant(job.publications, job.subscriptions) for job in self.jobs}
        self.broker = Broker(mosquitto, self._directory, certificate, grants)
        self.broker.start()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate.cert_path), str(certificate.key_path))
        try:
            self.gate = Gate(self.broker, self.registry, context, self.options.broker_port, self._on_admission)
            self.plugin = PluginServer(context, self.options.api_port, self.registry,
                                       lambda: self.gate.port if self.gate else 0, self._on_settings)
        except OSError as exc:
            raise EnvironmentFault(f"cannot listen on 127.0.0.1: {exc.strerror or exc}") from exc
        self.gate.start()
        self.plugin.start()
        self.view.subscribe(self.broker)
        settings = LaunchSettings(self.plugin.base_url, self.options.host_os, self.options.agent_root,
                                  self.options.extra_arguments)
        self.runner = Runner(settings, self.registry, self._on_output, self._on_run)
        self.view.notice(f"agent API {self.plugin.base_url} (Plugin Settings), MQTT broker 127.0.0.1:"
                         f"{self.gate.port} (TLS, mosquitto {self.broker.port} behind the gate)")

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop_all()
        self.view.close()
        for service in (self.plugin, self.gate, self.broker):
            if service is not None:
                service.stop()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    # Notices -----------------------------------------------------------------------------------------------

    def _on_admission(self, admission: Admission) -> None:
        who = admission.caller.describe()
        if not admission.caller.trusted:
            self.view.notice(f"MQTT: refused client {admission.client_id!r} from {who}: not launched by the job "
                             "runner (CONNACK Not authorized); a real agent would require a trusted signature")
            return
        launched_as = admission.caller.job_id
        text = (f"MQTT: client {admission.client_id!r} from {who} (MQTT level {admission.level}) "
                f"identified as job {admission.parsed_job!r}")
        if admission.parsed_job != launched_as:
            text += (f", but it was launched for job {launched_as!r}: the broker splits the client ID on '_', "
                     "so every publish will be denied (checklist item 2: no underscores in the id)")
        self.view.notice(text)

    def _on_settings(self, request: SettingsRequest) -> None:
        who = request.caller.describe()
        text = f"API: {request.method} {request.path} from {who}: {request.status}"
        if request.status == 403:
            text += " (Plugin tier: only processes the job runner launched; checklist items 9 and 13)"
        self.view.notice(text)

    def _on_output(self, job: Job, task: Task, pid: int, stream: str, line: str) -> None:
        self.view.task_output(job.id, pid, stream, line)

    def _on_run(self, phase: str, record: RunRecord | None, job: Job, task: Task, pid: int | None) -> None:
        if record is None:
            self.view.notice(f"{job.id}/{task.id}: started, pid {pid}")
            return
        if record.outcome is Outcome.EXITED:
            meaning = PRODUCT_EXIT_CODES.get(record.exit_code or 0, "") if task.command == "SecretScanner" else ""
            text = f"exit code {record.exit_code}" + (f" ({meaning})" if meaning else "")
        else:
            text = record.outcome.value + (f": {record.detail}" if record.detail else "")
            item = CHECKLIST_ITEM.get(record.outcome)
            if item is not None:
                text += f" (checklist item {item})"
        self.view.notice(f"{job.id}/{task.id} {record.trigger} run: {text}, {record.duration:.1f} s",
                         job=job.id, task=task.id, trigger=record.trigger, outcome=record.outcome.name,
                         exit_code=record.exit_code, duration_seconds=round(record.duration, 3))
