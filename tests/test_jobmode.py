"""Job mode end to end: the program as a subprocess against a real TLS mosquitto and a real HTTPS Plugin
Settings server on loopback. Rerun against the frozen binary with
SECRET_SCANNER_BIN=dist/SecretScanner/SecretScanner.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

LOGGER = "KeeperLogger"
ALLOWED_PUBLICATIONS_HINT = "mqttTopics.allowedPublications"


def run(
    command: list[str], args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=timeout)


def job_args(server: SettingsServer, tree: Path, state: Path, *extra: str) -> list[str]:
    return [
        "--scan",
        f"--keeper-api-base={server.url}",
        "--path",
        str(tree),
        "--state-dir",
        str(state),
        *extra,
    ]


def meta(document: dict[str, Any]) -> dict[str, Any]:
    return document["MetaData"]  # type: ignore[no-any-return]


def assert_envelope(document: dict[str, Any]) -> None:
    assert set(document) == {"Id", "Version", "RespondToTopic", "MetaData"}
    assert str(uuid.UUID(document["Id"])) == document["Id"]
    assert uuid.UUID(document["Id"]).version == 4
    assert document["Version"] == 1
    assert document["RespondToTopic"] is None
    data = document["MetaData"]
    assert set(data) == {
        "MessageType",
        "LogLevel",
        "Source",
        "Category",
        "Message",
        "CorrelationId",
        "Context",
    }
    assert data["MessageType"] == 4
    assert data["LogLevel"] in (0, 1, 2, 3, 4, 5)
    assert data["Source"] == "SecretScanner"
    assert data["Category"]
    assert data["Message"].strip()
    assert len(data["Message"]) <= 1000
    assert "\n" not in data["Message"] and "\r" not in data["Message"]
    assert "\n" not in data["Context"] and "\r" not in data["Context"]
    if data["Context"]:
        assert isinstance(json.loads(data["Context"]), dict)


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


# ------------------------------------------------------------------------------------- broker failures


def test_broker_down_exits_4_and_the_next_run_delivers_the_spool_first(
    scanner_command: list[str],
    broker_factory: BrokerFactory,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    planted: PlantedTree,
    tmp_path: Path,
) -> None:
    from conftest import free_port

    state = tmp_path / "state"
    settings_server.broker_port = free_port()  # nothing listens there
    first = run(scanner_command, job_args(settings_server, planted.root, state), scanner_env())
    assert first.returncode == 4, first.stderr
    assert "cannot connect to the MQTT broker" in first.stderr and "kept in" in first.stderr
    spooled = sorted((state / "spool").glob("*.json"))
    assert len(spooled) >= 3
    for path in spooled:
        assert path.stat().st_mode & 0o777 == 0o600
    first_run_ids = {meta(json.loads(json.loads(p.read_text())["payload"]))["CorrelationId"] for p in spooled}
    assert len(first_run_ids) == 1

    broker = broker_factory()
    settings_server.broker_port = broker.port
    observer = observe(broker)
    second = run(scanner_command, job_args(settings_server, planted.root, state), scanner_env())
    assert second.returncode == 1, second.stderr
    # The spooled finding messages count as announced: the second run sends its start and summary only.
    assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) >= len(spooled) + 2)
    logs = observer.on_topic(LOGGER)
    order = [meta(m)["CorrelationId"] for m in logs]
    assert set(order[: len(spooled)]) == first_run_ids  # earlier run's messages come first
    assert first_run_ids.isdisjoint(order[len(spooled) :])
    assert not list((state / "spool").glob("*.json"))


def test_publish_refused_exits_4_naming_allowed_publications_and_keeps_messages_until_fixed(
    scanner_command: list[str],
    broker_factory: BrokerFactory,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    denied = broker_factory(allow=())
    settings_server.broker_port = denied.port
    result = run(scanner_command, job_args(settings_server, clean_tree, state), scanner_env())
    assert result.returncode == 4, result.stderr
    line = next(line for line in result.stderr.splitlines() if "refused" in line and "KeeperLogger" in line)
    assert "0x87" in line and ALLOWED_PUBLICATIONS_HINT in line and "job JSON" in line
    assert denied.log_shows("Denied PUBLISH")
    kept = len(list((state / "spool").glob("*.json")))
    assert kept == 3  # start, summary, and the warning that the (also denied) event topic was refused

    fixed = broker_factory()  # the job JSON now allows KeeperLogger
    settings_server.broker_port = fixed.port
    observer = observe(fixed)
    again = run(scanner_command, job_args(settings_server, clean_tree, state), scanner_env())
    assert again.returncode == 0, again.stderr
    assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) == kept + 2)
    assert not list((state / "spool").glob("*.json"))


def test_event_topic_denied_only_warns(
    scanner_command: list[str],
    broker_factory: BrokerFactory,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    planted: PlantedTree,
    tmp_path: Path,
) -> None:
    broker = broker_factory(allow=("KeeperLogger",))
    settings_server.broker_port = broker.port
    observer = observe(broker)
    result = run(scanner_command, job_args(settings_server, planted.root, tmp_path / "state"), scanner_env())
    assert result.returncode == 1, result.stderr
    line = next(line for line in result.stderr.splitlines() if EVENT_TOPIC in line)
    assert "warning" in line and ALLOWED_PUBLICATIONS_HINT in line and "0x87" in line
    assert "error" not in result.stderr
    assert observer.wait_for(lambda o: any("summary" in meta(m)["Context"] for m in o.on_topic(LOGGER)))
    assert any(
        EVENT_TOPIC in meta(m)["Message"] for m in observer.on_topic(LOGGER) if meta(m)["LogLevel"] == 2
    )
    assert not list((tmp_path / "state" / "spool").glob("*.json"))


def test_custom_event_topic_is_used(
    scanner_command: list[str],
    broker_factory: BrokerFactory,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    broker = broker_factory(allow=("KeeperLogger", "Fleet/scans"))
    settings_server.broker_port = broker.port
    observer = observe(broker)
    args = job_args(settings_server, clean_tree, tmp_path / "state", "--event-topic", "Fleet/scans")
    result = run(scanner_command, args, scanner_env())
    assert result.returncode == 0, result.stderr
    assert observer.wait_for(lambda o: len(o.on_topic("Fleet/scans")) == 2)
    assert not observer.on_topic(EVENT_TOPIC)


# ------------------------------------------------------------------------------------------------ lock


def test_second_concurrent_run_exits_5_at_once_and_the_first_completes(
    scanner_command: list[str],
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    settings_server.broker_port = broker.port
    settings_server.mode = "hold"  # keeps the first run inside its lock until the test releases it
    observer = observe(broker)
    first = subprocess.Popen(
        scanner_command + job_args(settings_server, clean_tree, state),
        env=scanner_env(SECRET_SCANNER_HTTP_TIMEOUT="60"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = state / "run.lock"
        assert _wait(lambda: lock.is_file() and lock.read_text().startswith(f"pid {first.pid} "), 20)
        # Once its settings request has arrived, the first run is held inside its lock.
        assert _wait(lambda: len(settings_server.requests) == 1, 20)
        second = run(scanner_command, job_args(settings_server, clean_tree, state), scanner_env())
        # The second run ended while the first still holds the lock: it did not wait for it.
        assert first.poll() is None, "the first run must still be running while the second is refused"
        assert second.returncode == 5, second.stderr
        assert f"pid {first.pid}" in second.stderr and "run lock" in second.stderr
        settings_server.release.set()

        _, stderr = first.communicate(timeout=60)
        assert first.returncode == 0, stderr
        assert observer.wait_for(lambda o: len(o.on_topic(LOGGER)) == 2)
    finally:
        settings_server.release.set()
        if first.poll() is None:  # a failed assertion above: do not leave the run behind
            first.kill()
            first.wait(timeout=10)
    assert len(settings_server.requests) == 1  # the refused run never called the agent


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("api_base", "env_extra", "expected"),
    [
        ("http://127.0.0.1:6889", {}, "https URL"),
        ("https://", {}, "https URL with a host"),
        ("https://127.0.0.1:6889", {"KEEPER_JOB_ID": "secrets_scanner"}, "'secrets-scanner'"),
        ("https://agent.example.com:6889", {}, "CA bundle"),
        ("https://10.20.30.40:6889", {}, "not a loopback address"),
    ],
)
def test_usage_errors_exit_2(
    api_base: str,
    env_extra: dict[str, str],
    expected: str,
    scanner_command: list[str],
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    args = [
        "--scan",
        f"--keeper-api-base={api_base}",
        "--path",
        str(clean_tree),
        "--state-dir",
        str(tmp_path / "s"),
    ]
    result = run(scanner_command, args, scanner_env(**env_extra))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_non_loopback_broker_from_settings_without_ca_bundle_exits_2(
    scanner_command: list[str],
    settings_server: SettingsServer,
    clean_tree: Path,
    tmp_path: Path,
) -> None:
    settings_server.broker_host = "broker.example.com"
    result = run(scanner_command, job_args(settings_server, clean_tree, tmp_path / "state"), scanner_env())
    assert result.returncode == 2, result.stderr
    assert "broker.example.com" in result.stderr and "CA bundle" in result.stderr
