"""Delivery accounting on a hostile machine (issue #11, items 4 and 12) against a real TLS mosquitto: a full
disk never makes the run claim more than it kept, the drop is published by the next run, and a spool record
that can never be delivered never fails future runs."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import JOB_ID, Broker, Observer, SettingsServer, free_port
from test_publisher import fake_result, job_settings

from secret_scanner.errors import StateError
from secret_scanner.jobmode import messages as message
from secret_scanner.jobmode import spool as spool_module
from secret_scanner.jobmode.run import run_job
from secret_scanner.jobmode.spool import Spool


@pytest.fixture
def job_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPER_JOB_ID", JOB_ID)
    monkeypatch.setenv("SECRET_SCANNER_RETRY_SECONDS", "0.5")
    monkeypatch.setenv("SECRET_SCANNER_PUBACK_TIMEOUT", "3")


def _kinds(documents: list[dict[str, object]]) -> list[str]:
    return [json.loads(d["MetaData"]["Context"] or "{}").get("kind", "") for d in documents]  # type: ignore[index]


@pytest.mark.usefixtures("job_env")
def test_disk_full_while_spooling_is_counted_truthfully_and_the_drop_is_published_next_run(
    broker: Broker, observe: Callable[[Broker], Observer], settings_server: SettingsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings_server.broker_port = free_port()  # nothing listens: this run is offline and must spool
    real = spool_module.write_private_file

    def write(path: Path, data: bytes) -> None:
        if path.name.endswith(".json") and len(list(path.parent.glob("*.json"))) >= 14:
            raise StateError(f"cannot write {path}") from OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(spool_module, "write_private_file", write)
    outcome = run_job(job_settings(settings_server, tmp_path), lambda: fake_result(62))
    assert not outcome.delivered
    kept = Spool(tmp_path).load()
    assert len(kept) == 14
    assert f"14 of {62 + 3} message(s) kept" in outcome.problems[0], outcome.problems
    assert any("dropped" in p for p in outcome.problems)
    assert _kinds([json.loads(m.payload) for m in kept])[-1] == "summary", "the summary is the last to go"
    monkeypatch.setattr(spool_module, "write_private_file", real)

    settings_server.broker_port = broker.port
    observer = observe(broker)
    again = run_job(job_settings(settings_server, tmp_path), lambda: fake_result(0))
    assert again.delivered, again.problems
    assert observer.wait_for(lambda o: any(
        f"{62 + 3 - 14} KeeperLogger message(s) of earlier runs were dropped" in m["MetaData"]["Message"]
        for m in o.on_topic("KeeperLogger")))
    assert Spool(tmp_path).dropped() == 0 and Spool(tmp_path).load() == []


@pytest.mark.usefixtures("job_env")
@pytest.mark.parametrize("topic", ["#", "Jobs/other/+", ""])
def test_spool_record_with_an_undeliverable_topic_does_not_fail_future_runs(
    broker: Broker, settings_server: SettingsServer, tmp_path: Path, topic: str,
) -> None:
    settings_server.broker_port = broker.port
    spool = Spool(tmp_path)
    spool.add("KeeperLogger", [message.encode(message.warning_message("kept earlier", "old-run"))])
    planted = spool.directory / "00000000000000000000-abcdef01.json"
    payload = message.encode(message.warning_message("never deliverable", "old-run")).decode()
    planted.write_text(json.dumps({"spool_format": 1, "topic": topic, "payload": payload}), encoding="utf-8")
    os.chmod(planted, 0o600)
    for _ in range(2):
        outcome = run_job(job_settings(settings_server, tmp_path), lambda: fake_result(0))
        assert outcome.delivered, outcome.problems
    assert Spool(tmp_path).load() == []
    assert (spool.directory / "quarantine").exists()
