"""secret-scanner-deploy against a real local HTTPS fake agent that requires a client certificate."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import unquote

import pytest
import trustme

from secret_scanner.admin import agentroot, install
from secret_scanner.admin.agentroot import LINUX, MACOS, WINDOWS, current_os, detect_agent_root, known_roots
from secret_scanner.admin.install import install_binary
from secret_scanner.cli import deploy
from secret_scanner.cli.exitcodes import DeployExit

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


def _installed(env: Env) -> Path:
    return env.root / "Jobs" / "bin" / "SecretScanner"


# --- the deploy flow ----------------------------------------------------------------------------------------


def test_full_deploy_installs_creates_verifies_and_triggers(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--trigger"))
    out = capsys.readouterr().out
    assert code == DeployExit.OK, out
    assert (_installed(env) / EXE).read_text() == "#!/bin/sh\nexit 0\n"
    assert (_installed(env) / "_internal" / "library.zip").is_file()
    assert env.agent.calls == [
        ("POST", "/api/Jobs/validate"),
        ("GET", f"/api/Jobs/{JOB_ID}"),
        ("POST", "/api/Jobs"),
        ("GET", f"/api/Jobs/{JOB_ID}"),
        ("POST", f"/api/Jobs/{JOB_ID}/trigger"),
    ]
    assert env.agent.jobs[JOB_ID] == json.loads(JOB_FILE.read_text())
    assert env.agent.triggered == [JOB_ID]
    assert f"created job {JOB_ID}" in out and "verified" in out and f"triggered job {JOB_ID}" in out
    assert not [p for p in (env.root / "Jobs" / "bin").iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_install_keeps_exec_bit_and_drops_group_and_other_write(env: Env) -> None:
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.OK
    mode = stat.S_IMODE((_installed(env) / EXE).stat().st_mode)
    assert mode == 0o755  # source was 0o775
    for path in (_installed(env), *_installed(env).rglob("*")):
        assert not stat.S_IMODE(path.stat().st_mode) & 0o022, path


def test_existing_job_is_updated_with_put(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.jobs[JOB_ID] = {"id": JOB_ID, "tasks": [{"command": "OldThing"}]}
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir)))
    assert code == DeployExit.OK
    assert ("PUT", f"/api/Jobs/{JOB_ID}") in env.agent.calls
    assert ("POST", "/api/Jobs") not in env.agent.calls
    assert env.agent.jobs[JOB_ID]["tasks"][0]["command"] == "SecretScanner"
    assert f"updated job {JOB_ID}" in capsys.readouterr().out


def test_update_replaces_an_installed_binary(env: Env) -> None:
    old = _installed(env)
    old.mkdir(parents=True)
    (old / "stale.txt").write_text("old build")
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.OK
    assert not (old / "stale.txt").exists()
    assert (old / EXE).is_file()


def test_agent_validate_invalid_stops_before_saving(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    # no --binary-dir: nothing is installed, so the agent's own binary check fails
    code = deploy.main(env.argv())
    err = capsys.readouterr().err
    assert code == DeployExit.JOB_INVALID
    assert "agent error: Executable not found" in err
    assert env.agent.calls == [("POST", "/api/Jobs/validate")]
    assert env.agent.jobs == {}


def test_400_on_create_shows_the_agent_errors(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.forced[("POST", "/api/Jobs")] = (400, {"errors": ["Schedule is malformed", "Task t1 is bad"]})
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir)))
    err = capsys.readouterr().err
    assert code == DeployExit.JOB_INVALID
    assert "agent error: Schedule is malformed" in err
    assert "agent error: Task t1 is bad" in err
    assert "answered 400" in err


def test_400_problem_details_errors_are_shown(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.forced[("POST", "/api/Jobs")] = (400, {"title": "One or more validation errors occurred.",
                                                     "errors": {"Tasks[0].TimeoutSeconds": ["out of range"]}})
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.JOB_INVALID
    assert "agent error: Tasks[0].TimeoutSeconds: out of range" in capsys.readouterr().err


def test_403_explains_the_admin_tier(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.forced[("POST", "/api/Jobs/validate")] = (403, {"message": "Forbidden"})
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir)))
    err = capsys.readouterr().err
    assert code == DeployExit.FORBIDDEN
    assert "TLS succeeded, so this is the authorization tier" in err
    assert "Admin-tier" in err
    assert str(env.pki.client_cert) in err


def test_404_says_what_is_missing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.forced[("POST", f"/api/Jobs/{JOB_ID}/trigger")] = (404, {"message": "Job not found"})
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--trigger"))
    err = capsys.readouterr().err
    assert code == DeployExit.NOT_FOUND
    assert f"404: the agent has no job '{JOB_ID}'" in err


def test_trigger_of_disabled_job_is_explained(env: Env, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.jobs[JOB_ID] = dict(json.loads(JOB_FILE.read_text()), enabled=False)
    env.agent.forced[("PUT", f"/api/Jobs/{JOB_ID}")] = (200, {"message": "Job updated"})  # stays disabled
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--trigger"))
    err = capsys.readouterr().err
    assert code == DeployExit.JOB_INVALID
    assert "agent error: Job is disabled" in err
    assert "trigger refused" in err


def test_missing_client_certificate_is_rejected_by_tls(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), cert=False))
    err = capsys.readouterr().err
    assert code == DeployExit.TLS_FAILED
    assert "requires a client certificate" in err
    assert "pass --cert and --key" in err
    assert env.agent.calls == []  # the request never reached the HTTP layer


def test_client_certificate_from_an_untrusted_ca_is_refused(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = env.argv("--binary-dir", str(env.binary_dir), cert=False)
    argv += ["--cert", str(env.pki.stranger_cert), "--key", str(env.pki.stranger_key)]
    code = deploy.main(argv)
    err = capsys.readouterr().err
    assert code == DeployExit.TLS_FAILED
    assert f"refused the client certificate {env.pki.stranger_cert}" in err
    assert env.agent.calls == []


def test_agent_certificate_not_trusted_by_ca_bundle(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*env.argv(ca=False), "--ca", str(env.pki.stranger_ca)]
    code = deploy.main(argv)
    err = capsys.readouterr().err
    assert code == DeployExit.TLS_FAILED
    assert "certificate is not trusted" in err and "pass --ca" in err


def test_loopback_without_ca_skips_verification_but_still_uses_the_client_cert(env: Env) -> None:
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir), ca=False)) == DeployExit.OK
    assert JOB_ID in env.agent.jobs


def test_non_loopback_without_ca_is_refused_before_anything_changes(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = env.argv("--binary-dir", str(env.binary_dir), ca=False)
    argv[argv.index("--api-base") + 1] = "https://agent.example:6889"
    code = deploy.main(argv)
    assert code == DeployExit.USAGE
    assert "not a loopback address: pass --ca" in capsys.readouterr().err
    assert not _installed(env).exists()


def test_connection_refused_says_the_agent_is_not_running(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = env.argv()
    argv[argv.index("--api-base") + 1] = f"https://127.0.0.1:{port}"
    code = deploy.main(argv)
    assert code == DeployExit.AGENT_UNREACHABLE
    assert "connection refused: the agent is not running" in capsys.readouterr().err


def test_set_executable_path_points_at_the_agent_root(env: Env) -> None:
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--set-executable-path"))
    assert code == DeployExit.OK
    task = env.agent.jobs[JOB_ID]["tasks"][0]
    assert task["executablePath"] == str(env.root / "Jobs" / "bin" / "SecretScanner" / EXE)


def test_invalid_job_is_refused_offline_before_copying(env: Env, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "secrets_scanner.json"
    bad.write_text(JOB_FILE.read_text().replace(JOB_ID, "secrets_scanner"))
    argv = env.argv("--binary-dir", str(env.binary_dir))
    argv[argv.index("--job") + 1] = str(bad)
    code = deploy.main(argv)
    assert code == DeployExit.JOB_INVALID
    assert "contains an underscore" in capsys.readouterr().err
    assert env.agent.calls == []
    assert not _installed(env).exists()


def test_binary_dir_without_the_executable_is_a_usage_error(env: Env, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert deploy.main(env.argv("--binary-dir", str(empty))) == DeployExit.USAGE
    assert f"no {EXE} inside" in capsys.readouterr().err
    assert env.agent.calls == []


# --- dry run and policy -------------------------------------------------------------------------------------


def test_dry_run_touches_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.relative_to(env.root) for p in env.root.rglob("*"))
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--trigger", "--dry-run"))
    out = capsys.readouterr().out
    assert code == DeployExit.OK
    assert sorted(p.relative_to(env.root) for p in env.root.rglob("*")) == before
    assert env.agent.calls == []
    assert f"would copy {env.binary_dir} -> {_installed(env)}" in out
    assert f"would POST /api/Jobs/{JOB_ID}/trigger" in out


@pytest.mark.parametrize("action", ["Add", "Update"])
def test_policy_prints_a_jobupdate_policy_and_touches_nothing(
    env: Env, action: str, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--job", str(JOB_FILE), "--policy"] + ([] if action == "Add" else ["Update"])
    argv += ["--agent-root", str(env.root), "--binary-dir", str(env.binary_dir)]
    code = deploy.main(argv)
    policy = json.loads(capsys.readouterr().out)
    assert code == DeployExit.OK
    assert policy["PolicyType"] == "JobUpdate"
    assert set(policy["Extension"]) == {"JobId", "Action", "JobJson"}
    assert policy["Extension"]["Action"] == action
    assert isinstance(policy["Extension"]["JobJson"], str)
    inner = json.loads(policy["Extension"]["JobJson"])
    assert inner["id"] == policy["Extension"]["JobId"] == JOB_ID
    assert inner == json.loads(JOB_FILE.read_text())
    assert env.agent.calls == []
    assert not _installed(env).exists()


def test_policy_refuses_executable_path(capsys: pytest.CaptureFixture[str]) -> None:
    code = deploy.main(["--job", str(JOB_FILE), "--policy", "--set-executable-path"])
    assert code == DeployExit.USAGE
    assert "install roots differ" in capsys.readouterr().err


# --- install and agent roots --------------------------------------------------------------------------------


def test_install_binary_restores_the_old_folder_when_the_swap_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "new.txt").write_text("new")
    target = tmp_path / "Jobs" / "bin" / "SecretScanner"
    target.mkdir(parents=True)
    (target / "old.txt").write_text("old")
    real_rename = Path.rename

    def failing_rename(self: Path, dest: Path) -> Path:
        if self.name.startswith(".SecretScanner.new-"):
            raise PermissionError(13, "in use")
        return real_rename(self, dest)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(install.InstallError, match="retry when the run ends"):
        install_binary(source, target)
    assert (target / "old.txt").read_text() == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["SecretScanner"]


def test_detect_agent_root_takes_the_first_candidate_with_jobs(tmp_path: Path) -> None:
    docs_root, shipped_root, bare = tmp_path / "docs", tmp_path / "shipped", tmp_path / "bare"
    for root in (docs_root, shipped_root):
        (root / "Jobs").mkdir(parents=True)
    bare.mkdir()
    assert detect_agent_root([bare, shipped_root, docs_root]) == shipped_root
    assert detect_agent_root([bare]) is None


def test_known_roots_cover_docs_and_shipped_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRAMFILES", r"C:\Program Files")
    assert known_roots(LINUX) == (PurePosixPath("/opt/keeper/sbin"),
                                  PurePosixPath("/opt/KeeperPrivilegeManager"))
    assert known_roots(MACOS) == (PurePosixPath("/Library/Keeper/sbin"),
                                  PurePosixPath("/usr/local/KeeperPrivilegeManager"))
    windows = known_roots(WINDOWS)
    assert PureWindowsPath(r"C:\Program Files\Keeper Security\Endpoint Privilege Management") in windows
    assert PureWindowsPath(r"C:\Program Files\KeeperPrivilegeManager") in windows
    assert agentroot.command_path(PureWindowsPath(r"C:\K"), "SecretScanner", WINDOWS) == PureWindowsPath(
        r"C:\K\Jobs\bin\SecretScanner\SecretScanner.exe")


def test_tls_context_checks_host_names_only_off_loopback(pki: Pki) -> None:
    from secret_scanner.admin.agentapi import ApiTarget, build_tls_context

    remote = build_tls_context(ApiTarget("https://agent.example:6889", ca_bundle=pki.ca_pem))
    loopback = build_tls_context(ApiTarget("https://127.0.0.1:6889", ca_bundle=pki.ca_pem))
    unverified = build_tls_context(ApiTarget("https://[::1]:6889"))
    assert (remote.check_hostname, remote.verify_mode) == (True, ssl.CERT_REQUIRED)
    assert (loopback.check_hostname, loopback.verify_mode) == (False, ssl.CERT_REQUIRED)
    assert (unverified.check_hostname, unverified.verify_mode) == (False, ssl.CERT_NONE)


@pytest.mark.parametrize("argv", [[], ["--job"], ["--job", "x.json", "--policy", "Delete"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(argv) == DeployExit.USAGE


def test_missing_job_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["--job", str(tmp_path / "nope.json"), "--policy"]) == DeployExit.USAGE
    assert "cannot read" in capsys.readouterr().err


def test_policy_output_stays_json_when_the_job_has_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    job = Path(__file__).parent / "fixtures" / "jobs" / "valid" / "default-event-topic-not-allowed.json"
    assert deploy.main(["--job", str(job), "--policy"]) == DeployExit.OK
    captured = capsys.readouterr()
    assert json.loads(captured.out)["Extension"]["JobId"] == "default-event-topic-not-allowed"
    assert "warning:" in captured.err and "defaults to" in captured.err


def test_verify_accepts_a_wrapped_job_and_catches_a_wrong_one(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    job = json.loads(JOB_FILE.read_text())
    env.agent.jobs[JOB_ID] = job
    env.agent.forced[("GET", f"/api/Jobs/{JOB_ID}")] = (200, {"job": job, "message": "ok"})
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.OK
    env.agent.forced[("GET", f"/api/Jobs/{JOB_ID}")] = (200, {"id": JOB_ID, "tasks": [{"command": "Other"}]})
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.VERIFY_FAILED
    assert "has no task running SecretScanner" in capsys.readouterr().err


def test_agent_root_is_detected_when_not_given(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(install, "detect_agent_root", lambda: env.root)
    argv = env.argv("--binary-dir", str(env.binary_dir))
    del argv[argv.index("--agent-root"):argv.index("--agent-root") + 2]
    assert deploy.main(argv) == DeployExit.OK
    assert (_installed(env) / EXE).is_file()


def test_no_agent_root_found_lists_the_roots_tried(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(install, "detect_agent_root", lambda: None)
    argv = env.argv("--binary-dir", str(env.binary_dir))
    del argv[argv.index("--agent-root"):argv.index("--agent-root") + 2]
    assert deploy.main(argv) == DeployExit.USAGE
    err = capsys.readouterr().err
    assert "no agent root found (tried " in err and str(known_roots()[0]) in err
    assert env.agent.calls == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6889", "https://admin:{pw}@127.0.0.1:6889", "https://admin:ab#{pw}@127.0.0.1:6889",
            "https://127.0.0.1:6889/?token={pw}", "https://127.0.0.1:bad{pw}"],
)
def test_bad_api_base_never_echoes_what_may_be_a_secret(url: str) -> None:
    from secret_scanner.admin.agentapi import split_base_url
    from secret_scanner.catalog import specimen
    from secret_scanner.errors import UsageError

    password = specimen.make("password", "20")
    with pytest.raises(UsageError) as caught:
        split_base_url(url.format(pw=password))
    assert "--api-base" in str(caught.value)
    assert password not in str(caught.value)


def test_an_unexpected_agent_answer_exits_9(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env.agent.forced[("POST", "/api/Jobs/validate")] = (500, {"message": "boom"})
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.AGENT_ERROR
    assert "unexpected 500 from the agent" in capsys.readouterr().err


def test_a_failed_copy_exits_3_and_registers_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def failing_copy(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(install.shutil, "copytree", failing_copy)
    assert deploy.main(env.argv("--binary-dir", str(env.binary_dir))) == DeployExit.INSTALL_FAILED
    assert "cannot copy" in capsys.readouterr().err
    assert not _installed(env).exists() and JOB_ID not in env.agent.jobs


def test_every_deploy_exit_code_has_a_test() -> None:
    # INTERNAL and INTERRUPTED are tested in tests/test_cli_shell.py.
    tested = {"OK", "JOB_INVALID", "USAGE", "INSTALL_FAILED", "AGENT_UNREACHABLE", "TLS_FAILED", "FORBIDDEN",
              "NOT_FOUND", "VERIFY_FAILED", "AGENT_ERROR", "INTERNAL", "INTERRUPTED"}
    assert {code.name for code in DeployExit} == tested
