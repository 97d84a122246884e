"""Job mode end to end when things go wrong: broker down or refusing publications (the spool keeps the
messages), event topics, a second concurrent run, and usage errors. Same real broker and Plugin Settings
server as tests/test_jobmode.py; rerun against the frozen binary with SECRET_SCANNER_BIN.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    EVENT_TOPIC,
    Broker,
    BrokerFactory,
    Observer,
    PlantedTree,
    SettingsServer,
    scanner_env,
)
from jobruns import ALLOWED_PUBLICATIONS_HINT, LOGGER, job_args, meta, run

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
