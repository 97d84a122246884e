"""The development agent runs the product as the Keeper agent would: Startup and interval runs through a real
mosquitto (TLS, per-job ACL, client-ID gate) and the HTTPS Plugin Settings with process trust; `--once`; the
preflight checklist on the shipped Linux job; and bad input answered with one line, never a traceback.

The product is this package (`python -m secret_scanner`) or, with SECRET_SCANNER_BIN, the frozen binary,
deployed under {agent-root}/Jobs/bin/SecretScanner/ as the job runner resolves it.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MOSQUITTO, PlantedTree

from secret_scanner.cli.devagent import ExitCode, main
from secret_scanner.devagent import gate

ROOT = Path(__file__).resolve().parent.parent
LINUX_JOB = ROOT / "jobs" / "secrets-scanner-linux.json"


def require_mosquitto() -> None:
    if not (os.path.isfile(MOSQUITTO) and os.access(MOSQUITTO, os.X_OK)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"mosquitto ({MOSQUITTO}) is missing: CI must install it (apt-get install mosquitto)")
        pytest.skip(f"mosquitto ({MOSQUITTO}) is not installed")


@pytest.fixture
def devagent_env(monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_environment(monkeypatch)


def prepare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short product windows (they reach the task through the agent's environment) and our mosquitto."""
    require_mosquitto()
    for key in list(os.environ):
        if key.startswith("KEEPER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SECRET_SCANNER_DEVAGENT_MOSQUITTO", MOSQUITTO)
    monkeypatch.setenv("SECRET_SCANNER_RETRY_SECONDS", "1")
    monkeypatch.setenv("SECRET_SCANNER_PUBACK_TIMEOUT", "5")
    monkeypatch.setenv("SECRET_SCANNER_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")


def deploy_product(root: Path) -> Path:
    """An agent root whose Jobs/bin/SecretScanner/SecretScanner starts the product under test."""
    binary = os.environ.get("SECRET_SCANNER_BIN")
    target = shlex.quote(binary) if binary else f"{shlex.quote(sys.executable)} -m secret_scanner"
    folder = root / "Jobs" / "bin" / "SecretScanner"
    folder.mkdir(parents=True)
    script = folder / "SecretScanner"
    # exec: the PID the runner registers is the product's own, as when the agent starts the binary.
    script.write_text(f'#!/bin/sh\nexec {target} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return root


@pytest.fixture(scope="module")
def product_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state directory for the module's runs: the product's compiled rule cache is built once."""
    return tmp_path_factory.mktemp("product-state")


@pytest.fixture
def agent_root(tmp_path: Path) -> Path:
    return deploy_product(tmp_path / "agent")


def write_job(directory: Path, change: Callable[[dict[str, Any]], None] | None = None, job_id: str | None = None,
              ) -> Path:
    job = json.loads(LINUX_JOB.read_text(encoding="utf-8"))
    if job_id is not None:
        text = json.dumps(job).replace("secrets-scanner-linux", job_id)
        job = json.loads(text)
    if change is not None:
        change(job)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{job['id']}.json"
    path.write_text(json.dumps(job, indent=2), encoding="utf-8")
    return path


def narrowed(tree: Path, state: Path) -> list[str]:
    return ["--extra-arguments", f"--path {shlex.quote(str(tree))} --state-dir {shlex.quote(str(state))}"]


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_summaries(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["trigger"]: r for r in records if r["kind"] == "devagent" and "trigger" in r}


# ----------------------------------------------------------------------------------------- product runs


def test_startup_then_interval_run_deliver_redacted_findings(
    devagent_env: None, agent_root: Path, planted: PlantedTree, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    product_state: Path,
) -> None:
    log = tmp_path / "view.jsonl"
    # 120 minutes / 300 = an interval run 24 s after start, after the Startup run has ended even on a loaded
    # machine: runs that overlap
    # share the state directory, and the second would rightly exit 5 (lock held).
    code = main(["run", str(LINUX_JOB), "--agent-root", str(agent_root), "--time-scale", "300",
                 "--interval-runs", "1", "--json-log", str(log), *narrowed(planted.root, product_state)])
    shown = capsys.readouterr().out
    records = read_log(log)
    runs = run_summaries(records)
    assert set(runs) == {"Startup", "interval #1"}, runs
    assert all(r["exit_code"] == 1 and r["outcome"] == "EXITED" for r in runs.values()), shown
    assert code == 1  # the task's own code: secrets found
    findings = [r for r in records if r["kind"] == "log" and r["category"] == "SecretFinding"]
    runs_seen = {r["correlationId"] for r in findings}
    # Three planted secrets, announced once: the interval run finds them again, but they are no longer new
    # (the finding lifecycle, docs/messages.md); both runs publish their summary.
    assert len(findings) == 3 and len(runs_seen) == 1
    summaries = [r for r in records if r["kind"] == "log" and r["category"] == "SecretsScan"]
    assert len({r["correlationId"] for r in summaries}) == 2
    assert any(r["kind"] == "event" and r["payload"]["event"] == "completed" for r in records)
    assert "Error    SecretScanner SecretFinding: Exposed" in shown  # time, level, source, category, message
    for secret in planted.secrets:
        assert secret not in shown and secret not in log.read_text(encoding="utf-8")


def test_once_exits_with_the_task_code(
    devagent_env: None, agent_root: Path, clean_tree: Path, product_state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["run", str(LINUX_JOB), "--once", "--agent-root", str(agent_root),
                 *narrowed(clean_tree, product_state)])
    shown = capsys.readouterr().out
    assert code == 0, shown
    assert "Info     SecretScanner SecretsScan: Secret scan complete: 0 secret(s)" in shown
    assert "API: GET /api/PluginSettings/KeeperPrivilegeManager from pid" in shown and ": 200" in shown
    assert "identified as job 'secrets-scanner-linux'" in shown


def test_preflight_passes_the_shipped_linux_job(
    devagent_env: None, agent_root: Path, clean_tree: Path, product_state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["preflight", str(LINUX_JOB), "--agent-root", str(agent_root), "--json",
                 *narrowed(clean_tree, product_state)])
    items = {i["item"]: i for i in json.loads(capsys.readouterr().out)["items"]}
    assert code == 0, items
    assert set(items) == set(range(14))
    assert {n for n, i in items.items() if i["status"] == "not checked"} == {6, 7}
    assert all(i["status"] == "pass" for n, i in items.items() if n not in (6, 7))
    assert "SecretScanner_" in items[10]["detail"] and "403" in items[13]["detail"]


# ---------------------------------------------------------------------------------------------- bad input


def test_a_job_file_that_is_not_json_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json", encoding="utf-8")
    assert main(["run", str(path), "--once"]) == ExitCode.BAD_JOB
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not JSON" in err and "Traceback" not in err


def test_a_missing_mosquitto_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(LINUX_JOB), "--once", "--mosquitto", str(tmp_path / "no-mosquitto")])
    err = capsys.readouterr().err
    assert code == ExitCode.ENVIRONMENT
    assert err.count("\n") == 1 and "mosquitto not found" in err and "Traceback" not in err


def test_a_port_in_use_is_one_line(devagent_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["run", str(LINUX_JOB), "--once", "--api-port", str(port)])
    err = capsys.readouterr().err
    assert code == ExitCode.ENVIRONMENT
    assert err.count("\n") == 1 and f"port {port}" in err and "in use" in err


def test_a_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == ExitCode.USAGE
    assert main(["run", str(LINUX_JOB), "--time-scale", "0"]) == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


# ------------------------------------------------------------------------------------ the gate's parsing


def test_the_gate_reads_the_job_from_the_client_id_as_the_broker_does() -> None:
    assert gate.split_client_id("secrets-scanner_SecretScanner_42") == "secrets-scanner"
    assert gate.split_client_id("secrets_scanner_SecretScanner_42") == "secrets"


def test_connect_rewrite_keeps_the_client_id_and_sets_our_credentials() -> None:
    client_id = b"job-a_Tool_7"
    properties = b"\x00"
    body = b"\x00\x04MQTT\x05\x02\x00\x3c" + properties + len(client_id).to_bytes(2, "big") + client_id
    parsed = gate.parse_connect(body)
    assert (parsed.level, parsed.client_id) == (5, "job-a_Tool_7")
    packet = gate.rewrite_connect(parsed, "job-a", "pw")
    reparsed_body = packet[2:]  # one-byte remaining length for a small packet
    assert packet[1] == len(reparsed_body)
    again = gate.parse_connect(reparsed_body)
    assert again.client_id == "job-a_Tool_7" and again.flags & 0xC0 == 0xC0
    assert reparsed_body.endswith(b"\x00\x05job-a\x00\x02pw")
    with pytest.raises(gate.MalformedPacket):
        gate.parse_connect(b"\x00\x04MQ")
