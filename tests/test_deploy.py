"""secret-scanner-deploy against a real local HTTPS fake agent that requires a client certificate: the
deploy flow (install, create or update, verify, trigger) and how each agent or TLS failure is explained.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest
from fakeagent import EXE, JOB_FILE, JOB_ID, Env, installed_dir

from secret_scanner.cli import deploy
from secret_scanner.cli.exitcodes import DeployExit

# --- the deploy flow ----------------------------------------------------------------------------------------


def test_full_deploy_installs_creates_verifies_and_triggers(
    env: Env, capsys: pytest.CaptureFixture[str],
) -> None:
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--trigger"))
    out = capsys.readouterr().out
    assert code == DeployExit.OK, out
    assert (installed_dir(env) / EXE).read_text() == "#!/bin/sh\nexit 0\n"
    assert (installed_dir(env) / "_internal" / "library.zip").is_file()
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
    mode = stat.S_IMODE((installed_dir(env) / EXE).stat().st_mode)
    assert mode == 0o755  # source was 0o775
    for path in (installed_dir(env), *installed_dir(env).rglob("*")):
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
    old = installed_dir(env)
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
    assert not installed_dir(env).exists()


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
    assert not installed_dir(env).exists()


def test_binary_dir_without_the_executable_is_a_usage_error(env: Env, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert deploy.main(env.argv("--binary-dir", str(empty))) == DeployExit.USAGE
    assert f"no {EXE} inside" in capsys.readouterr().err
    assert env.agent.calls == []
