"""secret-scanner-deploy without changing the machine, and its exits: the dry run, the printed JobUpdate
policy, usage errors, verification of what the agent holds, and one test per exit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeagent import EXE, JOB_FILE, JOB_ID, Env, installed_dir

from secret_scanner.admin import install
from secret_scanner.admin.agentroot import known_roots
from secret_scanner.cli import deploy
from secret_scanner.cli.exitcodes import DeployExit

# --- dry run and policy -------------------------------------------------------------------------------------


def test_dry_run_touches_nothing(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.relative_to(env.root) for p in env.root.rglob("*"))
    code = deploy.main(env.argv("--binary-dir", str(env.binary_dir), "--trigger", "--dry-run"))
    out = capsys.readouterr().out
    assert code == DeployExit.OK
    assert sorted(p.relative_to(env.root) for p in env.root.rglob("*")) == before
    assert env.agent.calls == []
    assert f"would copy {env.binary_dir} -> {installed_dir(env)}" in out
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
    assert not installed_dir(env).exists()


def test_policy_refuses_executable_path(capsys: pytest.CaptureFixture[str]) -> None:
    code = deploy.main(["--job", str(JOB_FILE), "--policy", "--set-executable-path"])
    assert code == DeployExit.USAGE
    assert "install roots differ" in capsys.readouterr().err


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
    assert (installed_dir(env) / EXE).is_file()


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
    assert not installed_dir(env).exists() and JOB_ID not in env.agent.jobs


def test_every_deploy_exit_code_has_a_test() -> None:
    # INTERNAL and INTERRUPTED are tested in tests/test_cli_shell.py.
    tested = {"OK", "JOB_INVALID", "USAGE", "INSTALL_FAILED", "AGENT_UNREACHABLE", "TLS_FAILED", "FORBIDDEN",
              "NOT_FOUND", "VERIFY_FAILED", "AGENT_ERROR", "INTERNAL", "INTERRUPTED"}
    assert {code.name for code in DeployExit} == tested
