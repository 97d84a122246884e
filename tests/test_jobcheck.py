"""The offline job validator: one fixture per rule, the shipped jobs, the binary check, the CLI contract."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from secret_scanner.admin.agentroot import LINUX, MACOS, WINDOWS
from secret_scanner.admin.jobcheck import CheckOptions, validate_file, validate_text
from secret_scanner.cli import jobs
from secret_scanner.cli.exitcodes import JobsExit

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "jobs"
INTERVAL = FIXTURES / "valid" / "interval-startup.json"
VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID_DIR = FIXTURES / "invalid"
SHIPPED = sorted((REPO / "jobs").glob("*.json"))

LINUX_HOST = CheckOptions(host_os=LINUX, agent_root=None)

# fixture -> the one error it must produce (a substring of it)
EXPECTED_ERRORS = {
    "not-json": "not valid JSON",
    "missing-id": "id: missing",
    "id-mismatch": "does not match the file name 'id-mismatch.json'",
    "under_score": "contains an underscore",
    "disabled": "enabled: false",
    "enabled-not-bool": "enabled: must be true or false",
    "interval-zero": "schedule.intervalMinutes: must be a positive whole number",
    "interval-fraction": "schedule.intervalMinutes: must be a positive whole number",
    "two-schedule-modes": "only one mode may be active",
    "empty-schedule": "schedule: has no mode",
    "cron-four-fields": "has 4 fields; it needs five",
    "cron-out-of-range": "hour field '24': 24 is outside 0-23",
    "cron-bad-step": "minute field '*/0': step '0' must be a positive whole number",
    "cron-bad-name": "day-of-week field 'FUNDAY': 'FUNDAY' is not a number or name",
    "cron-backwards-range": "day-of-month field '20-10': range '20-10' runs backwards",
    "run-at-not-utc": "schedule.runAt: must be an ISO-8601 UTC time ending in Z",
    "run-at-not-a-date": "is not an ISO-8601 date and time",
    "calendar-bad-day": "daysOfWeek: 7 is not 0-6",
    "calendar-bad-time": "schedule.calendar[0].time: must be a 24-hour time HH:MM",
    "no-trigger": "no trigger",
    "bad-event": "events[0]: must be an event name or an object with a non-empty `eventType`",
    "os-filter-all-false": "osFilter: no OS is true",
    "no-tasks": "tasks: must be a non-empty list",
    "task-no-command": "tasks[0].command: missing",
    "task-no-timeout": "tasks[0].timeoutSeconds: must be a positive whole number of seconds (got None)",
    "task-negative-timeout": "tasks[0].timeoutSeconds: must be a positive whole number of seconds (got -5)",
    "duplicate-task-ids": "tasks[1].id: 'run-scanner' is used by another task",
    "bad-execution-type": "tasks[0].ExecutionType: 'Admin' is not one of",
    "no-keeper-logger": "mqttTopics.allowedPublications: must include 'KeeperLogger'",
    "no-mqtt-topics": "mqttTopics: absent",
    "event-topic-not-allowed": "eventTopic: 'Jobs/elsewhere/events' is not in mqttTopics.allowedPublications",
    "priority-out-of-range": "priority: must be a whole number from 1 to 10 (got 11)",
}


def test_every_invalid_fixture_has_an_expected_error() -> None:
    on_disk = {path.stem for path in INVALID_DIR.glob("*.json")}
    assert on_disk == set(EXPECTED_ERRORS)


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_invalid_fixture_fails_with_its_specific_error(name: str) -> None:
    report = validate_file(INVALID_DIR / f"{name}.json", LINUX_HOST)
    assert not report.valid
    assert len(report.errors) == 1, report.errors  # each fixture breaks exactly one rule
    assert EXPECTED_ERRORS[name] in report.errors[0]


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture_passes(path: Path) -> None:
    report = validate_file(path, LINUX_HOST)
    assert report.valid, report.errors
    assert report.job_id == path.stem


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_jobs_pass(path: Path) -> None:
    report = validate_file(path, LINUX_HOST)
    assert report.valid, report.errors
    job = json.loads(path.read_text())
    assert job["id"] == path.stem
    assert "executablePath" not in job["tasks"][0]
    assert job["tasks"][0]["command"] == "SecretScanner"


def test_shipped_jobs_each_target_exactly_their_os() -> None:
    targets = {}
    for path in SHIPPED:
        os_filter = json.loads(path.read_text())["osFilter"]
        assert sum(os_filter.values()) == 1
        targets[path.stem] = next(key for key, on in os_filter.items() if on)
    assert targets == {"secrets-scanner-windows": WINDOWS, "secrets-scanner-linux": LINUX,
                       "secrets-scanner-macos": MACOS}


def test_shipped_jobs_pass_the_cli() -> None:
    assert jobs.main(["validate", "--no-binary-check", *map(str, SHIPPED)]) == JobsExit.VALID


def test_answer_has_the_agent_validate_shape() -> None:
    answer = validate_file(INVALID_DIR / "under_score.json", LINUX_HOST).to_dict()
    assert set(answer) == {"valid", "errors", "warnings", "jobId"}
    assert answer["valid"] is False
    assert answer["jobId"] == "under_score"
    assert "splits the client ID" in answer["errors"][0]


def test_events_are_accepted_in_both_shapes() -> None:
    job = json.loads((FIXTURES / "valid" / "interval-startup.json").read_text())
    del job["schedule"]
    for events in ([{"eventType": "Startup"}], ["Startup"]):
        job["events"] = events
        assert validate_text(json.dumps(job), "interval-startup", LINUX_HOST).valid


def test_default_event_topic_missing_is_a_warning() -> None:
    report = validate_file(FIXTURES / "valid" / "default-event-topic-not-allowed.json", LINUX_HOST)
    assert report.valid
    assert any("defaults to 'Jobs/default-event-topic-not-allowed/events'" in w for w in report.warnings)


def test_disabled_job_is_a_warning_when_allowed() -> None:
    report = validate_file(INVALID_DIR / "disabled.json", CheckOptions(host_os=LINUX, allow_disabled=True))
    assert report.valid
    assert any(w.startswith("enabled: false") for w in report.warnings)


def test_past_run_at_is_a_warning() -> None:
    job = json.loads((FIXTURES / "valid" / "run-at-once.json").read_text())
    job["schedule"]["runAt"] = "2001-01-01T00:00:00Z"
    report = validate_text(json.dumps(job), "run-at-once", LINUX_HOST)
    assert report.valid
    assert any("in the past" in w for w in report.warnings)


def test_miscased_field_is_a_warning() -> None:
    job = json.loads((FIXTURES / "valid" / "interval-startup.json").read_text())
    job["tasks"][0]["executionType"] = job["tasks"][0].pop("ExecutionType")
    report = validate_text(json.dumps(job), "interval-startup", LINUX_HOST)
    assert any("spells this field `ExecutionType`" in w for w in report.warnings)


# --- binary check -------------------------------------------------------------------------------------------


def _agent_root(tmp_path: Path, with_binary: bool, executable: bool = True) -> Path:
    root = tmp_path / "agent"
    (root / "Jobs").mkdir(parents=True)
    if with_binary:
        binary = root / "Jobs" / "bin" / "SecretScanner" / "SecretScanner"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\nexit 0\n")
        binary.chmod(0o755 if executable else 0o644)
    return root


def test_binary_missing_under_agent_root_is_an_error(tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=False)
    report = validate_file(INTERVAL, CheckOptions(host_os=LINUX, agent_root=root))
    assert not report.valid
    assert report.errors == (
        f"tasks[0].command: binary not found at {root / 'Jobs/bin/SecretScanner/SecretScanner'}; "
        "deploy the binary before registering the job",
    )


def test_binary_present_under_agent_root_passes(tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=True)
    report = validate_file(INTERVAL, CheckOptions(host_os=LINUX, agent_root=root))
    assert report.valid, report.errors
    assert not any("binary check skipped" in w for w in report.warnings)


@pytest.mark.skipif(os.name == "nt", reason="POSIX execute bit")
def test_binary_without_execute_bit_is_an_error(tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=True, executable=False)
    report = validate_file(INTERVAL, CheckOptions(host_os=LINUX, agent_root=root))
    assert any("is not executable" in e for e in report.errors)


def test_binary_check_skipped_for_an_os_the_host_does_not_match(tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=False)
    report = validate_file(REPO / "jobs" / "secrets-scanner-windows.json",
                           CheckOptions(host_os=LINUX, agent_root=root))
    assert report.valid
    assert any("binary check skipped: osFilter excludes this host (linux)" in w for w in report.warnings)


def test_binary_check_skipped_without_agent_root() -> None:
    report = validate_file(FIXTURES / "valid" / "interval-startup.json", LINUX_HOST)
    assert report.valid
    assert any("binary check skipped: no agent root" in w for w in report.warnings)


def test_windows_job_checks_exe_under_agent_root(tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=False)
    report = validate_file(REPO / "jobs" / "secrets-scanner-windows.json",
                           CheckOptions(host_os=WINDOWS, agent_root=root))
    assert any("SecretScanner.exe" in e for e in report.errors)


def test_executable_path_is_checked_instead_of_jobs_bin(tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=False)
    elsewhere = tmp_path / "opt" / "scanner"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text("#!/bin/sh\n")
    elsewhere.chmod(0o755)
    job = json.loads((FIXTURES / "valid" / "interval-startup.json").read_text())
    job["tasks"][0]["executablePath"] = str(elsewhere)
    options = CheckOptions(host_os=LINUX, agent_root=root)
    assert validate_text(json.dumps(job), "interval-startup", options).valid
    job["tasks"][0]["executablePath"] = "relative/scanner"
    report = validate_text(json.dumps(job), "interval-startup", options)
    assert report.errors == ("tasks[0].executablePath: 'relative/scanner' must be an absolute path",)


# --- command line -------------------------------------------------------------------------------------------


def test_cli_json_answers_per_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = _agent_root(tmp_path, with_binary=True)
    code = jobs.main(["validate", "--json", "--agent-root", str(root),
                          str(INTERVAL), str(INVALID_DIR / "no-tasks.json")])
    assert code == JobsExit.INVALID
    answers = json.loads(capsys.readouterr().out)
    assert [a["jobId"] for a in answers] == ["interval-startup", "no-tasks"]
    assert [a["valid"] for a in answers] == [True, False]
    assert all(set(a) == {"file", "valid", "errors", "warnings", "jobId"} for a in answers)


def test_cli_text_output_names_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code = jobs.main(["validate", "--no-binary-check", str(INVALID_DIR / "under_score.json")])
    assert code == JobsExit.INVALID
    out = capsys.readouterr().out
    assert "INVALID" in out
    assert "error: id: 'under_score' contains an underscore" in out


@pytest.mark.parametrize("argv", [
    [],
    ["validate"],
    ["validate", "does-not-exist.json"],
    ["frobnicate", "x.json"],
])
def test_cli_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert jobs.main(argv) == JobsExit.USAGE


def test_cli_rejects_agent_root_without_jobs_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = jobs.main(["validate", "--agent-root", str(tmp_path), str(SHIPPED[0])])
    assert code == JobsExit.USAGE
    assert "holds no Jobs/ directory" in capsys.readouterr().err


def test_cli_detects_agent_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    root = _agent_root(tmp_path, with_binary=False)
    monkeypatch.setattr(jobs, "detect_agent_root", lambda: root)
    monkeypatch.setattr(jobs, "current_os", lambda: LINUX)
    code = jobs.main(["validate", str(REPO / "jobs" / "secrets-scanner-linux.json")])
    assert code == JobsExit.INVALID
    expected = root / "Jobs" / "bin" / "SecretScanner" / "SecretScanner"
    assert f"binary not found at {expected}" in capsys.readouterr().out
