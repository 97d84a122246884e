"""The one error-handling shell (secret_scanner.cli.shell) as all three programs use it: argparse exits,
Ctrl-C, known error families, and the internal-error line that names a place, never a value."""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from secret_scanner.catalog import specimen
from secret_scanner.cli import deploy, jobs
from secret_scanner.cli.exitcodes import DeployExit, ExitCode, JobsExit
from secret_scanner.cli.shell import ErrorRule, Program, report_internal_error, run_program
from secret_scanner.errors import LockHeldError, UsageError

REPO = Path(__file__).resolve().parent.parent
JOB = REPO / "jobs" / "secrets-scanner-linux.json"
TOY = Program(name="toy", ok=0, usage=2, internal=70, interrupted=130, quiet_level=logging.INFO,
              rules=(ErrorRule(UsageError, 2), ErrorRule(LockHeldError, 5, logging.WARNING, "held: ")))


def toy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy")
    parser.add_argument("--verbose", action="store_true")
    return parser


def run_toy(body: Callable[[argparse.Namespace], int], *argv: str) -> int:
    return run_program(TOY, toy_parser(), body, list(argv))


def fail_with(exc: BaseException) -> Callable[[argparse.Namespace], int]:
    def body(args: argparse.Namespace) -> int:
        raise exc
    return body


def test_help_is_ok_and_a_bad_argument_is_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_toy(lambda args: 0, "--help") == 0
    assert run_toy(lambda args: 0, "--nope") == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


def test_the_body_code_is_returned() -> None:
    assert run_toy(lambda args: 7) == 7


def test_known_families_get_their_code_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_toy(fail_with(UsageError("--path x: no such file"))) == 2
    assert run_toy(fail_with(LockHeldError("another run holds the lock"))) == 5
    assert capsys.readouterr().err.splitlines() == ["toy: error: --path x: no such file",
                                                    "toy: warning: held: another run holds the lock"]


def test_ctrl_c_is_130_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_toy(fail_with(KeyboardInterrupt())) == 130
    err = capsys.readouterr().err
    assert err == "toy: interrupted\n"


def test_an_unexpected_error_is_70_with_a_place_and_no_value(capsys: pytest.CaptureFixture[str]) -> None:
    secret = specimen.make("github", "ghp_")

    def leaky(args: argparse.Namespace) -> int:
        return {"token": secret}["missing " + secret]  # a KeyError whose message quotes the secret

    assert run_toy(leaky) == 70
    err = capsys.readouterr().err
    assert err.startswith("toy: internal error: KeyError at test_cli_shell.py:")
    assert "leaky" in err and err.count("\n") == 1
    assert secret not in err and secret[4:16] not in err


def test_an_error_in_a_worker_thread_is_reported_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    secret = specimen.make("password", "20")

    def body(args: argparse.Namespace) -> int:
        worker = threading.Thread(target=fail_with(RuntimeError(secret)), args=(args,))
        worker.start()
        worker.join()
        return 0

    previous = threading.excepthook
    try:
        assert run_toy(body) == 0
    finally:
        threading.excepthook = previous
    err = capsys.readouterr().err
    assert "toy: internal error: RuntimeError at" in err and secret not in err


def test_internal_error_without_a_traceback_says_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    report_internal_error("toy", ValueError("value"))
    assert capsys.readouterr().err == "toy: internal error: ValueError at unknown\n"


# --- the three programs ------------------------------------------------------------------------------------


def test_jobs_ctrl_c_exits_130(mocker: MockerFixture, capsys: pytest.CaptureFixture[str]) -> None:
    mocker.patch.object(jobs, "validate_file", side_effect=KeyboardInterrupt)
    assert jobs.main(["validate", "--no-binary-check", str(JOB)]) == JobsExit.INTERRUPTED == 130
    err = capsys.readouterr().err
    assert "secret-scanner-jobs: interrupted" in err and "Traceback" not in err


def test_jobs_internal_error_exits_70_without_the_message(
    mocker: MockerFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    secret = specimen.make("password", "20")
    mocker.patch.object(jobs, "validate_file", side_effect=RuntimeError(secret))
    assert jobs.main(["validate", "--no-binary-check", str(JOB)]) == JobsExit.INTERNAL == 70
    err = capsys.readouterr().err
    assert "secret-scanner-jobs: internal error: RuntimeError at" in err and secret not in err


def test_deploy_ctrl_c_exits_130(mocker: MockerFixture, capsys: pytest.CaptureFixture[str]) -> None:
    mocker.patch.object(deploy, "policy_for", side_effect=KeyboardInterrupt)
    assert deploy.main(["--job", str(JOB), "--policy"]) == DeployExit.INTERRUPTED == 130
    err = capsys.readouterr().err
    assert "secret-scanner-deploy: interrupted" in err and "Traceback" not in err


def test_deploy_internal_error_exits_70_without_the_message(
    mocker: MockerFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    secret = specimen.make("password", "20")
    mocker.patch.object(deploy, "policy_for", side_effect=RuntimeError(secret))
    assert deploy.main(["--job", str(JOB), "--policy"]) == DeployExit.INTERNAL == 70
    err = capsys.readouterr().err
    assert "secret-scanner-deploy: internal error: RuntimeError at" in err and secret not in err


def test_every_jobs_exit_code_has_a_test() -> None:
    # VALID, INVALID and USAGE are tested in tests/test_jobcheck.py.
    assert {code.name for code in JobsExit} == {"VALID", "INVALID", "USAGE", "INTERNAL", "INTERRUPTED"}


def test_the_three_programs_share_the_edges() -> None:
    for enum in (ExitCode, DeployExit, JobsExit):
        assert (enum["USAGE"], enum["INTERNAL"], enum["INTERRUPTED"]) == (2, 70, 130)
