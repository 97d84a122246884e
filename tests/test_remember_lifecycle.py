"""The finding lifecycle in job mode (issue #10), against a real TLS mosquitto: new, unchanged, resolved,
reminder, undelivered then delivered, and what the per-run cap holds back.

Each run is the program as a subprocess; the observer sees every KeeperLogger message; a run's messages are
told apart by their CorrelationId (the run id).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import EVENT_TOPIC, Broker, Observer, PlantedTree, SettingsServer, free_port, scanner_env

LOGGER = "KeeperLogger"


def context(document: dict[str, Any]) -> dict[str, Any]:
    text = document["MetaData"]["Context"]
    return json.loads(text) if text else {}  # type: ignore[no-any-return]


class Runner:
    def __init__(self, command: list[str], server: SettingsServer, tree: Path, state: Path) -> None:
        self.command, self.server, self.tree, self.state = command, server, tree, state

    def __call__(self, observer: Observer | None, *extra: str, config: str | None = None,
                 expect: int = 1, **env_extra: str) -> list[dict[str, Any]]:
        env = scanner_env(**env_extra)
        if config is not None:
            path = self.state.parent / "fleet.toml"
            path.write_text(config, encoding="utf-8")
            env["SECRET_SCANNER_CONFIG"] = str(path)
        seen = len(observer.on_topic(LOGGER)) if observer is not None else 0
        args = ["--scan", f"--keeper-api-base={self.server.url}", "--path", str(self.tree),
                "--state-dir", str(self.state), *extra]
        proc = subprocess.run(self.command + args, env=env, capture_output=True, text=True, timeout=90)
        assert proc.returncode == expect, proc.stderr
        if observer is None:
            return []
        assert observer.wait_for(lambda o: any(context(m).get("kind") == "summary"
                                               for m in o.on_topic(LOGGER)[seen:]))
        return observer.on_topic(LOGGER)[seen:]


def of_kind(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [context(m) for m in messages if context(m).get("kind") == kind]


def summary(messages: list[dict[str, Any]]) -> dict[str, Any]:
    (only,) = of_kind(messages, "summary")
    return only


def test_new_then_unchanged_then_resolved_then_reminders(
    scanner_command: list[str], broker: Broker, observe: Callable[[Broker], Observer],
    settings_server: SettingsServer, planted: PlantedTree, tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    run = Runner(scanner_command, settings_server, planted.root, tmp_path / "state")

    first = run(observer)
    new = of_kind(first, "finding")
    assert len(new) == 3 and {c["status"] for c in new} == {"new"}
    assert {k: summary(first)[k] for k in ("new", "active", "resolved", "suppressed")} == {
        "new": 3, "active": 3, "resolved": 0, "suppressed": 0}

    second = run(observer)  # nothing changed: nothing is announced again
    assert of_kind(second, "finding") == [] and of_kind(second, "resolved") == []
    assert (summary(second)["new"], summary(second)["active"]) == (0, 3)
    assert summary(second)["files_unchanged"] == 4

    gone = next(c for c in new if c["path"].endswith("deploy.env"))
    (planted.root / "deploy.env").unlink()
    third = run(observer)
    resolved = of_kind(third, "resolved")
    assert [(r["fingerprint"], r["rule_id"], r["reason"]) for r in resolved] == [
        (gone["fingerprint"], gone["rule_id"], "gone")]
    assert (summary(third)["resolved"], summary(third)["active"]) == (1, 2)
    assert of_kind(third, "finding") == []

    fourth = run(observer, config="resend_active_hours = 0\n")
    reminders = of_kind(fourth, "finding")
    assert len(reminders) == 2 and {c["status"] for c in reminders} == {"reminder"}
    assert {c["fingerprint"] for c in reminders} == {c["fingerprint"] for c in new} - {gone["fingerprint"]}
    assert of_kind(run(observer), "finding") == []  # the default 24 h has not passed since the reminder


def test_a_moved_line_is_not_a_new_finding_and_an_accepted_one_is_resolved_as_suppressed(
    scanner_command: list[str], broker: Broker, observe: Callable[[Broker], Observer],
    settings_server: SettingsServer, planted: PlantedTree, tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    run = Runner(scanner_command, settings_server, planted.root, tmp_path / "state")
    run(observer)
    deploy = planted.root / "deploy.env"
    deploy.write_text("\n\n\n" + deploy.read_text(encoding="utf-8"), encoding="utf-8")
    moved = run(observer)
    assert of_kind(moved, "finding") == [] and summary(moved)["new"] == 0
    lines = deploy.read_text(encoding="utf-8").splitlines()
    deploy.write_text("\n".join(line + (" # secretscanner:allow" if "GITHUB" in line else "") for line in lines)
                      + "\n", encoding="utf-8")
    accepted = run(observer)
    assert [r["reason"] for r in of_kind(accepted, "resolved")] == ["suppressed"]
    assert (summary(accepted)["suppressed"], summary(accepted)["active"]) == (1, 2)


def test_undelivered_findings_are_announced_by_the_next_run(
    scanner_command: list[str], broker_factory: Callable[[], Broker], observe: Callable[[Broker], Observer],
    settings_server: SettingsServer, planted: PlantedTree, tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "spool").write_text("not a directory\n", encoding="utf-8")  # the spool cannot keep anything
    settings_server.broker_port = free_port()  # and nothing listens: messages reach no one
    run = Runner(scanner_command, settings_server, planted.root, state)
    run(None, expect=4)
    (state / "spool").unlink()
    broker = broker_factory()
    settings_server.broker_port = broker.port
    observer = observe(broker)
    second = run(observer)
    assert {c["status"] for c in of_kind(second, "finding")} == {"new"}
    assert len(of_kind(second, "finding")) == 3
    assert of_kind(run(observer), "finding") == []  # delivered now: announced once


def test_what_the_cap_holds_back_is_announced_by_the_next_runs(
    scanner_command: list[str], broker: Broker, observe: Callable[[Broker], Observer],
    settings_server: SettingsServer, planted: PlantedTree, tmp_path: Path,
) -> None:
    settings_server.broker_port = broker.port
    observer = observe(broker)
    run = Runner(scanner_command, settings_server, planted.root, tmp_path / "state")
    announced: list[str] = []
    for expected_overflow in (2, 1, 0):
        messages = run(observer, "--max-finding-messages", "1")
        findings = of_kind(messages, "finding")
        assert len(findings) == 1 and findings[0]["status"] == "new"
        announced.append(findings[0]["fingerprint"])
        overflow = of_kind(messages, "overflow")
        assert [o["not_listed"] for o in overflow] == ([expected_overflow] if expected_overflow else [])
    assert len(set(announced)) == 3
    assert of_kind(run(observer, "--max-finding-messages", "1"), "finding") == []


def test_progress_events_come_at_a_bounded_rate_between_started_and_completed(
    scanner_command: list[str], broker: Broker, observe: Callable[[Broker], Observer],
    settings_server: SettingsServer, planted: PlantedTree, tmp_path: Path,
) -> None:
    for index in range(1500):
        (planted.root / f"plain-{index}.txt").write_text(f"line {index}\n" * 50, encoding="utf-8")
    settings_server.broker_port = broker.port
    observer = observe(broker)
    run = Runner(scanner_command, settings_server, planted.root, tmp_path / "state")
    run(observer)  # the default 30 s interval: a scan of seconds sends no progress event
    assert [e["event"] for e in observer.on_topic(EVENT_TOPIC)] == ["started", "completed"]
    messages = run(observer, "--full", SECRET_SCANNER_PROGRESS_SECONDS="0.05")
    assert observer.wait_for(lambda o: len(o.on_topic(EVENT_TOPIC)) >= 4)
    events = observer.on_topic(EVENT_TOPIC)[2:]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "completed" and "progress" in kinds
    progress = [e for e in events if e["event"] == "progress"]
    completed = events[-1]
    assert all(set(e) >= {"files", "bytes", "findings", "elapsed_seconds", "run_id", "timestamp"}
               for e in progress)
    assert [e["files"] for e in progress] == sorted(e["files"] for e in progress)
    assert progress[-1]["files"] <= summary(messages)["files_scanned"]
    assert len(progress) <= completed["duration_seconds"] / 0.05 + 1
