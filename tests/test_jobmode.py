"""Job mode end to end: the program as a subprocess against a real TLS mosquitto and a real HTTPS Plugin
Settings server on loopback: the happy path, CA bundles, and Plugin Settings answers and failures. Rerun
against the frozen binary with SECRET_SCANNER_BIN=dist/SecretScanner/SecretScanner.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    EVENT_TOPIC,
    FALLBACK_BROKER_PORT,
    JOB_ID,
    Broker,
    BrokerFactory,
    Observer,
    PlantedTree,
    SettingsServer,
    port_is_free,
    scanner_env,
)
from jobruns import ALLOWED_PUBLICATIONS_HINT, LOGGER, assert_envelope, job_args, meta, run

# ------------------------------------------------------------------------------------------ happy path


def test_happy_path_delivers_every_message_in_the_exact_envelope(
    scanner_command: list[str],
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    planted: PlantedTree,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    proc = subprocess.Popen(
        scanner_command + job_args(settings_server, planted.root, tmp_path / "state"),
        env=scanner_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 1, stderr
    assert observer.wait_for(
        lambda o: any(
            meta(m)["Category"] == "SecretsScan" and "complete" in meta(m)["Message"]
            for m in o.on_topic(LOGGER)
        )
    )
    assert observer.wait_for(lambda o: len(o.on_topic(EVENT_TOPIC)) == 2)
    logs = observer.on_topic(LOGGER)
    for document in logs:
        assert_envelope(document)
    assert len({m["Id"] for m in logs}) == len(logs)
    run_ids = {meta(m)["CorrelationId"] for m in logs}
    assert len(run_ids) == 1 and uuid.UUID(run_ids.pop())

    start, *findings, summary = logs
    assert "started" in meta(start)["Message"] and meta(start)["LogLevel"] == 1
    contexts = [json.loads(meta(m)["Context"]) for m in findings]
    assert findings, "the planted AWS key id and GitHub token must be found"
    for document, context in zip(findings, contexts, strict=True):
        assert set(context) == {
            "kind",
            "status",
            "rule_id",
            "severity",
            "confidence",
            "path",
            "line",
            "column",
            "fingerprint",
            "redacted",
        }
        expected_level = 3 if context["severity"] in ("critical", "high") else 2
        assert meta(document)["LogLevel"] == expected_level
        assert context["path"].startswith(str(planted.root))
    assert meta(summary)["LogLevel"] == 2
    summary_context = json.loads(meta(summary)["Context"])
    assert summary_context["kind"] == "summary" and summary_context["complete"] is True
    assert summary_context["findings"] == len(findings)

    started, completed = observer.on_topic(EVENT_TOPIC)
    assert started["event"] == "started" and completed["event"] == "completed"
    assert started["job_id"] == completed["job_id"] == JOB_ID
    assert started["run_id"] == completed["run_id"] == meta(start)["CorrelationId"]
    assert completed["findings"] == len(findings) and completed["complete"] is True
    assert completed["timestamp"].endswith("Z")

    client_id = f"{JOB_ID}_SecretScanner_{proc.pid}"
    assert client_id in broker.connected_client_ids()
    assert broker.protocol_of(client_id) == "p5"
    assert broker.log_shows(f"Received DISCONNECT from {client_id}")
    assert "secret(s) found" in stdout


def test_clean_tree_exits_0_with_an_info_summary(
    scanner_command: list[str],
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    result = run(scanner_command, job_args(settings_server, clean_tree, tmp_path / "state"), scanner_env())
    assert result.returncode == 0, result.stderr
    assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) == 2)
    start, summary = observer.on_topic(LOGGER)
    assert json.loads(meta(start)["Context"])["kind"] == "start"
    assert meta(summary)["LogLevel"] == 1
    assert json.loads(meta(summary)["Context"])["findings"] == 0


def test_missing_job_id_warns_and_uses_the_documented_fallback_client_id(
    scanner_command: list[str],
    broker: Broker,
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    proc = subprocess.Popen(
        scanner_command + job_args(settings_server, clean_tree, tmp_path / "state"),
        env=scanner_env(KEEPER_JOB_ID=None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "KEEPER_JOB_ID is not set" in stderr and ALLOWED_PUBLICATIONS_HINT in stderr
    assert f"unknown_SecretScanner_{proc.pid}" in broker.connected_client_ids()


def test_ca_bundle_verifies_the_agent_certificate_on_loopback(
    scanner_command: list[str],
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    args = job_args(settings_server, clean_tree, tmp_path / "state", "--ca-bundle", str(broker.tls.ca_path))
    result = run(scanner_command, args, scanner_env())
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) == 2)


def test_a_ca_bundle_that_did_not_issue_the_agent_certificate_fails_delivery(
    scanner_command: list[str],
    broker: Broker,
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    args = job_args(
        settings_server, clean_tree, tmp_path / "state", "--ca-bundle", str(broker.tls.other_ca_path)
    )
    result = run(scanner_command, args, scanner_env())
    assert result.returncode == 4, result.stderr
    assert "TLS" in result.stderr and "certificate verify failed" in result.stderr


# ------------------------------------------------------------------------------------- Plugin Settings


def test_plugin_settings_403_race_is_retried_then_settings_are_used(
    scanner_command: list[str],
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    settings_server.mode = "403-then-ok"
    settings_server.forbidden_first = 2
    observer = observe(broker)
    result = run(
        scanner_command,
        job_args(settings_server, clean_tree, tmp_path / "state"),
        scanner_env(SECRET_SCANNER_RETRY_SECONDS="5"),
    )
    assert result.returncode == 0, result.stderr
    assert len(settings_server.requests) == 3
    assert "default broker" not in result.stderr
    assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) == 2)


@pytest.fixture
def fallback_broker(broker_factory: BrokerFactory) -> Broker | None:
    """A broker on the fixed fallback port 127.0.0.1:8675 when that port is free here, else None."""
    if not port_is_free(FALLBACK_BROKER_PORT):
        return None
    try:
        return broker_factory(port=FALLBACK_BROKER_PORT)
    except RuntimeError:
        return None


@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("404", "HTTP 404"),
        ("500", "HTTP 500"),
        ("garbage", "not JSON"),
        ("slow", "no answer within 1s"),
    ],
)
# 403 for the whole window and missing keys take the same path; tests/test_settings.py covers them in-process.
def test_plugin_settings_failure_falls_back_to_the_default_broker_with_a_warning(
    mode: str,
    cause: str,
    scanner_command: list[str],
    fallback_broker: Broker | None,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.mode = mode
    settings_server.slow_seconds = 2.5
    observer = observe(fallback_broker) if fallback_broker is not None else None
    env = scanner_env(SECRET_SCANNER_HTTP_TIMEOUT="1", SECRET_SCANNER_RETRY_SECONDS="0.5")
    result = run(scanner_command, job_args(settings_server, clean_tree, tmp_path / "state"), env)

    warning = [line for line in result.stderr.splitlines() if "Plugin Settings" in line]
    assert warning and "warning" in warning[0], result.stderr
    assert cause in warning[0] and "127.0.0.1:8675" in warning[0]
    if observer is None:
        assert result.returncode == 4, result.stderr  # nothing listens on the fallback port here
        return
    assert result.returncode == 0, result.stderr
    assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) >= 3)
    warnings = [m for m in observer.on_topic(LOGGER) if meta(m)["LogLevel"] == 2]
    assert any(cause in meta(m)["Message"] for m in warnings)
