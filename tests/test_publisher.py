"""The MQTT publisher and job delivery against a real TLS mosquitto: PUBACKs, refusals, reconnection."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import JOB_ID, Broker, BrokerFactory, Observer, SettingsServer, free_port

from secret_scanner.errors import DeliveryError
from secret_scanner.jobmode import messages as message
from secret_scanner.jobmode.mqtt import Publisher
from secret_scanner.jobmode.run import JobSettings, run_job
from secret_scanner.model import Finding, ScanResult, ScanStats
from secret_scanner.net.tls import build_client_context


def make_publisher(broker: Broker, ca: Path | None = None, port: int | None = None) -> Publisher:
    context = build_client_context("127.0.0.1", ca, "broker.host")
    return Publisher("127.0.0.1", port or broker.port, f"{JOB_ID}_SecretScanner_{os.getpid()}", context)


def test_publishes_with_qos1_and_collects_every_puback(
    broker: Broker, observe: Callable[[Broker], Observer]
) -> None:
    observer = observe(broker)
    publisher = make_publisher(broker, ca=broker.tls.ca_path)
    publisher.connect(retry_seconds=1)
    try:
        tickets = [publisher.publish("KeeperLogger", f'{{"n":{i}}}'.encode()) for i in range(30)]
        acks = publisher.wait(tickets, timeout=5)
    finally:
        publisher.close()
    assert all(ack.ok for ack in acks)
    assert observer.wait_for(lambda o: len(o.on_topic("KeeperLogger")) == 30)
    assert broker.log_shows(f"Received DISCONNECT from {publisher.client_id}")
    assert broker.log_shows("q1, r0")  # QoS 1, retain false, as the broker saw it


def test_refused_publish_is_a_failure_with_reason_0x87(broker_factory: BrokerFactory) -> None:
    broker = broker_factory(allow=("KeeperLogger",))
    publisher = make_publisher(broker)
    publisher.connect(retry_seconds=1)
    try:
        allowed, denied = publisher.wait(
            [publisher.publish("KeeperLogger", b"{}"), publisher.publish("Jobs/other/events", b"{}")],
            timeout=5,
        )
    finally:
        publisher.close()
    assert allowed.ok
    assert not denied.ok and denied.code == 0x87
    assert "Not authorized" in denied.describe()


def test_connection_refused_is_retried_then_reported(broker: Broker) -> None:
    publisher = make_publisher(broker, port=free_port())
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="cannot connect to the MQTT broker"):
        publisher.connect(retry_seconds=0.8)
    assert time.monotonic() - started >= 0.7  # it did retry for the window


def test_broker_that_starts_late_is_reached_within_the_retry_window(broker_factory: BrokerFactory) -> None:
    broker = broker_factory()
    broker.stop()
    import threading

    threading.Timer(0.6, broker.start).start()
    publisher = make_publisher(broker)
    publisher.connect(retry_seconds=8)
    try:
        assert publisher.wait([publisher.publish("KeeperLogger", b"{}")], timeout=5)[0].ok
    finally:
        publisher.close()


def test_wrong_ca_fails_at_once(broker: Broker) -> None:
    publisher = make_publisher(broker, ca=broker.tls.other_ca_path)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="certificate verify failed"):
        publisher.connect(retry_seconds=5)
    assert time.monotonic() - started < 4  # a TLS failure is not the registration race


def test_reconnects_once_and_resends_what_was_not_acknowledged(broker: Broker) -> None:
    publisher = make_publisher(broker)
    publisher.connect(retry_seconds=1)
    try:
        broker.stop()
        ticket = publisher.publish("KeeperLogger", b'{"late": true}')
        broker.start()
        assert publisher.wait([ticket], timeout=10)[0].ok
    finally:
        publisher.close()


def test_messages_are_not_acknowledged_when_the_broker_stays_down(broker: Broker) -> None:
    publisher = make_publisher(broker)
    publisher.connect(retry_seconds=1)
    try:
        broker.stop()
        ack = publisher.wait([publisher.publish("KeeperLogger", b"{}")], timeout=1.5)[0]
    finally:
        publisher.close()
    assert not ack.ok and ack.code is None and ack.describe() == "not acknowledged"


# ---------------------------------------------------------------------------------- run_job in-process


def fake_result(count: int) -> ScanResult:
    findings = tuple(
        Finding(
            "test.rule",
            "Test secret",
            "critical" if i % 2 else "medium",
            "high",
            f"/srv/f{i}.env",
            i + 1,
            1,
            f"{i:032x}",
            "abcd...(40 chars)",
            40,
        )
        for i in range(count)
    )
    return ScanResult(findings, ScanStats(files_scanned=count, duration_seconds=0.5))


def job_settings(server: SettingsServer, state: Path, cap: int = 100) -> JobSettings:
    return JobSettings(
        api_base=server.url,
        ca_bundle=None,
        state_dir=state,
        run_id="run-under-test",
        event_topic=None,
        max_finding_messages=cap,
    )


@pytest.fixture
def job_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPER_JOB_ID", JOB_ID)
    monkeypatch.setenv("SECRET_SCANNER_RETRY_SECONDS", "0.5")
    monkeypatch.setenv("SECRET_SCANNER_PUBACK_TIMEOUT", "3")


@pytest.mark.usefixtures("job_env")
def test_per_finding_messages_are_capped_and_the_rest_summarised(
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    outcome = run_job(job_settings(settings_server, tmp_path, cap=5), lambda: fake_result(12))
    assert outcome.delivered and outcome.problems == ()
    assert observer.wait_for(lambda o: len(o.on_topic("KeeperLogger")) == 1 + 5 + 1 + 1)
    kinds = [json.loads(m["MetaData"]["Context"])["kind"] for m in observer.on_topic("KeeperLogger")]
    assert kinds == ["start"] + ["finding"] * 5 + ["overflow", "summary"]
    listed = [json.loads(m["MetaData"]["Context"]) for m in observer.on_topic("KeeperLogger")[1:6]]
    assert all(c["severity"] == "critical" for c in listed)  # the worst findings are listed first
    overflow = json.loads(observer.on_topic("KeeperLogger")[6]["MetaData"]["Context"])
    assert overflow["not_listed"] == 7
    assert len(observer.on_topic(f"Jobs/{JOB_ID}/events")) == 2


@pytest.mark.usefixtures("job_env")
def test_broker_drop_during_the_scan_is_survived_by_one_reconnection(
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port

    def scan_while_the_broker_restarts() -> ScanResult:
        broker.stop()
        broker.start()
        return fake_result(2)

    outcome = run_job(job_settings(settings_server, tmp_path), scan_while_the_broker_restarts)
    assert outcome.delivered, outcome.problems
    assert not list((tmp_path / "spool").glob("*.json"))


@pytest.mark.usefixtures("job_env")
def test_broker_gone_during_the_scan_spools_the_rest(
    broker: Broker,
    settings_server: SettingsServer,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port

    def scan_while_the_broker_dies() -> ScanResult:
        broker.stop()
        return fake_result(2)

    outcome = run_job(job_settings(settings_server, tmp_path), scan_while_the_broker_dies)
    assert not outcome.delivered
    assert any("not acknowledged" in p for p in outcome.problems)
    kept = [
        json.loads(json.loads(p.read_text())["payload"]) for p in sorted((tmp_path / "spool").glob("*.json"))
    ]
    assert [json.loads(m["MetaData"]["Context"])["kind"] for m in kept] == ["finding", "finding", "summary"]


@pytest.mark.usefixtures("job_env")
def test_a_crashing_scan_is_announced_and_the_error_propagates(
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)

    def crash() -> ScanResult:
        raise RuntimeError("engine bug")

    with pytest.raises(RuntimeError):
        run_job(job_settings(settings_server, tmp_path), crash)
    assert observer.wait_for(lambda o: len(o.on_topic("KeeperLogger")) == 2)
    last = observer.on_topic("KeeperLogger")[-1]["MetaData"]
    assert last["LogLevel"] == message.LogLevel.ERROR and "RuntimeError" in last["Message"]
    assert "engine bug" not in last["Message"]
    assert broker.log_shows("Received DISCONNECT")


@pytest.mark.usefixtures("job_env")
def test_a_crash_while_offline_still_spools_what_the_run_said(
    settings_server: SettingsServer, tmp_path: Path
) -> None:
    settings_server.broker_port = free_port()

    def crash() -> ScanResult:
        raise RuntimeError("engine bug")

    with pytest.raises(RuntimeError):
        run_job(job_settings(settings_server, tmp_path), crash)
    kept = [
        json.loads(json.loads(p.read_text())["payload"]) for p in sorted((tmp_path / "spool").glob("*.json"))
    ]
    assert kept[0]["MetaData"]["Message"].startswith("Secret scan started")
    assert kept[-1]["MetaData"]["LogLevel"] == message.LogLevel.ERROR
    assert "engine bug" not in json.dumps(kept)


def test_connack_refusal_is_retried_as_the_registration_race(broker_factory: BrokerFactory) -> None:
    broker = broker_factory(anonymous=False)
    publisher = make_publisher(broker)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="refused the connection with reason code 0x87"):
        publisher.connect(retry_seconds=0.8)
    assert time.monotonic() - started >= 0.7
    assert broker.log_text().count("New connection from") >= 2  # it tried again
