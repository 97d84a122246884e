"""A fake KEPM agent for the deploy tests: the Job Management API as far as secret-scanner-deploy uses it,
served over HTTPS that requires a client certificate, with its PKI, a fake agent root and a fake build.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import trustme

from secret_scanner.admin.agentroot import WINDOWS, current_os

REPO = Path(__file__).resolve().parent.parent
HOST_OS = current_os()
JOB_FILE = REPO / "jobs" / f"secrets-scanner-{HOST_OS.lower()}.json"
JOB_ID = JOB_FILE.stem
EXE = "SecretScanner.exe" if HOST_OS == WINDOWS else "SecretScanner"


# --- fake agent ---------------------------------------------------------------------------------------------


@dataclass
class FakeAgent:
    """The agent's Job Management API as far as the deploy tool uses it, with a few of the same checks."""

    agent_root: Path
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    triggered: list[str] = field(default_factory=list)
    forced: dict[tuple[str, str], tuple[int, object]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, job: dict[str, Any]) -> list[str]:
        errors = []
        job_id = job.get("id")
        if not isinstance(job_id, str) or not job_id:
            errors.append("Job id is required")
        elif "_" in job_id:
            errors.append("Job id must not contain underscores")
        excluded = not job.get("osFilter", {}).get(HOST_OS, True)
        for task in job.get("tasks", []):
            command = task.get("command")
            if not command:
                errors.append("Task command is required")
            elif not excluded:
                path = Path(task.get("executablePath") or self.agent_root / "Jobs" / "bin" / command / EXE)
                if not path.is_file():
                    errors.append(f"Executable not found: {path}")
        return errors

    def answer(self, method: str, path: str, body: object) -> tuple[int, object]:
        with self.lock:
            self.calls.append((method, path))
            if (method, path) in self.forced:
                return self.forced[(method, path)]
            parts = [unquote(p) for p in path.strip("/").split("/")]
            if parts[:2] != ["api", "Jobs"]:
                return 404, {"message": "no route"}
            rest = parts[2:]
            if method == "POST" and rest == ["validate"]:
                candidate: dict[str, Any] = body if isinstance(body, dict) else {}
                errors = self.check(candidate)
                return 200, {"valid": not errors, "errors": errors, "warnings": [],
                             "jobId": candidate.get("id")}
            if method == "POST" and rest == []:
                assert isinstance(body, dict)
                errors = self.check(body)
                if errors:
                    return 400, {"errors": errors}
                self.jobs[body["id"]] = body
                return 200, {"message": "Job created"}
            if len(rest) == 1 and method == "GET":
                job = self.jobs.get(rest[0])
                return (200, job) if job is not None else (404, {"message": "Job not found"})
            if len(rest) == 1 and method == "PUT":
                if rest[0] not in self.jobs:
                    return 404, {"message": "Job not found"}
                assert isinstance(body, dict)
                errors = self.check(body)
                if errors:
                    return 400, {"errors": errors}
                self.jobs[rest[0]] = dict(body, id=rest[0])
                return 200, {"message": "Job updated"}
            if len(rest) == 2 and rest[1] == "trigger" and method == "POST":
                job = self.jobs.get(rest[0])
                if job is None:
                    return 404, {"message": "Job not found"}
                if not job.get("enabled", True):
                    return 400, {"errors": ["Job is disabled"]}
                self.triggered.append(rest[0])
                return 200, {"message": "Job triggered"}
            return 404, {"message": "no route"}


def _handler_for(agent: FakeAgent) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, answer = agent.answer(self.command, self.path, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass(frozen=True)
class Pki:
    ca_pem: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # a client certificate from a CA the agent does not trust
    stranger_key: Path
    stranger_ca: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    base = tmp_path_factory.mktemp("pki")
    ca, stranger = trustme.CA(), trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("deploy-admin.example")
    rogue = stranger.issue_cert("deploy-admin.example")
    ca.cert_pem.write_to_path(str(base / "ca.pem"))
    stranger.cert_pem.write_to_path(str(base / "stranger-ca.pem"))
    client.cert_chain_pems[0].write_to_path(str(base / "client.pem"))
    client.private_key_pem.write_to_path(str(base / "client.key"))
    rogue.cert_chain_pems[0].write_to_path(str(base / "stranger.pem"))
    rogue.private_key_pem.write_to_path(str(base / "stranger.key"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    return Pki(base / "ca.pem", base / "client.pem", base / "client.key", base / "stranger.pem",
               base / "stranger.key", base / "stranger-ca.pem", context)


@dataclass(frozen=True)
class Env:
    agent: FakeAgent
    root: Path
    binary_dir: Path
    base_url: str
    pki: Pki

    def argv(self, *extra: str, cert: bool = True, ca: bool = True) -> list[str]:
        argv = ["--job", str(JOB_FILE), "--agent-root", str(self.root), "--api-base", self.base_url,
                "--timeout", "10"]
        if cert:
            argv += ["--cert", str(self.pki.client_cert), "--key", str(self.pki.client_key)]
        if ca:
            argv += ["--ca", str(self.pki.ca_pem)]
        return argv + list(extra)


@pytest.fixture
def env(tmp_path: Path, pki: Pki) -> Iterator[Env]:
    root = tmp_path / "agent"
    (root / "Jobs").mkdir(parents=True)
    binary_dir = tmp_path / "dist" / "SecretScanner"
    (binary_dir / "_internal").mkdir(parents=True)
    exe = binary_dir / EXE
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o775)
    (binary_dir / "_internal" / "library.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    agent = FakeAgent(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(agent))
    server.socket = pki.server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Env(agent, root, binary_dir, f"https://127.0.0.1:{server.server_address[1]}", pki)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def installed_dir(env: Env) -> Path:
    return env.root / "Jobs" / "bin" / "SecretScanner"
