"""Attack 6 of issue #11 against a real broker: a broker that stops answering, then SIGTERM (the agent's
timeout) or SIGKILL. The run must end within seconds of SIGTERM, and no finding may be lost either way: what
was not acknowledged is in the spool and the next run delivers it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import EVENT_TOPIC, Broker, BrokerFactory, Observer, SettingsServer, plant_tree, scanner_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def _spooled(state: Path) -> list[dict[str, object]]:
    records = []
    for path in sorted((state / "spool").glob("*.json")):
        record = json.loads(path.read_bytes())
        records.append(json.loads(record["payload"]))
    return records


def _kinds(documents: list[dict[str, object]]) -> list[str]:
    return [json.loads(d["MetaData"]["Context"] or "{}").get("kind", "") for d in documents]  # type: ignore[index]


@pytest.fixture
def frozen_broker(broker_factory: BrokerFactory) -> Iterator[Broker]:
    broker = broker_factory()
    yield broker
    if broker.process is not None:
        os.kill(broker.process.pid, signal.SIGCONT)


def _start_run_then_freeze_broker(
    scanner_command: list[str], broker: Broker, server: SettingsServer, observe: Callable[[Broker], Observer],
    tmp_path: Path,
) -> tuple[subprocess.Popen[bytes], Path]:
    server.broker_port = broker.port
    observer = observe(broker)
    tree = plant_tree(tmp_path / "tree", extra_files=1500)
    state = tmp_path / "state"
    env = scanner_env(SECRET_SCANNER_PUBACK_TIMEOUT="120")
    process = subprocess.Popen(
        [*scanner_command, "--scan", f"--keeper-api-base={server.url}", "--path", str(tree.root),
         "--state-dir", str(state)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert observer.wait_for(lambda o: bool(o.on_topic(EVENT_TOPIC)), timeout=30), "run never started"
    assert broker.process is not None
    os.kill(broker.process.pid, signal.SIGSTOP)  # the broker goes silent: no PUBACK from now on
    end = time.monotonic() + 60
    while "summary" not in _kinds(_spooled(state)) and time.monotonic() < end:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.1)
    return process, state


@pytest.mark.timeout(120)
def test_sigterm_ends_the_puback_wait_within_seconds_and_keeps_every_finding(
    scanner_command: list[str], frozen_broker: Broker, settings_server: SettingsServer,
    observe: Callable[[Broker], Observer], tmp_path: Path,
) -> None:
    process, state = _start_run_then_freeze_broker(scanner_command, frozen_broker, settings_server, observe,
                                                   tmp_path)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    assert elapsed < 8, f"ran {elapsed:.1f}s after SIGTERM"
    assert b"Traceback" not in stderr
    assert process.returncode == 4  # findings reached nobody yet: delivery failed, they are spooled
    kinds = _kinds(_spooled(state))
    assert kinds.count("finding") == 3 and "summary" in kinds


@pytest.mark.timeout(120)
def test_sigkill_during_the_puback_wait_leaves_everything_spooled_for_the_next_run(
    scanner_command: list[str], frozen_broker: Broker, settings_server: SettingsServer,
    observe: Callable[[Broker], Observer], tmp_path: Path,
) -> None:
    process, state = _start_run_then_freeze_broker(scanner_command, frozen_broker, settings_server, observe,
                                                   tmp_path)
    process.kill()
    process.wait(timeout=10)
    kinds = _kinds(_spooled(state))
    assert kinds.count("finding") == 3 and "summary" in kinds
    # The broker answers again: the next run delivers what the killed one kept.
    assert frozen_broker.process is not None
    os.kill(frozen_broker.process.pid, signal.SIGCONT)
    observer = observe(frozen_broker)
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "readme.txt").write_text("nothing\n", encoding="utf-8")
    again = subprocess.run(
        [*scanner_command, "--scan", f"--keeper-api-base={settings_server.url}", "--path", str(clean),
         "--state-dir", str(state)],
        env=scanner_env(), capture_output=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert observer.wait_for(lambda o: _kinds(o.on_topic("KeeperLogger")).count("finding") == 3, timeout=10)
    assert _spooled(state) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_scan_reports_what_it_found_without_a_traceback(
    scanner_command: list[str], tmp_path: Path, signum: int,
) -> None:
    tree = plant_tree(tmp_path / "tree")
    # JWT-shaped lines that every block's gate fires on and the validator rejects: slow enough to interrupt.
    with open(tree.root / "a-big.log", "wb") as handle:  # the walk takes it after the planted files
        handle.write(b"eyJub3QganNvbg.eyJzdWIiOiJ4In0.ssssssssssssssssssss\n" * 1_000_000)
    warm = [*scanner_command, "--scan", "--path", str(tree.root / "notes.txt"), "--state-dir", str(tmp_path / "state")]
    subprocess.run(warm, capture_output=True, timeout=120, check=True)  # compiles and caches the rules once
    process = subprocess.Popen(
        [*scanner_command, "--scan", "--path", str(tree.root), "--state-dir", str(tmp_path / "state"),
         "--max-file-size", str(1 << 30)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    time.sleep(2)  # rules loaded from the cache, the small files done, the big one under way
    sent = time.monotonic()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - sent < 10
    assert b"Traceback" not in stderr
    # The documented outcome of an interrupted run: what was found so far, INCOMPLETE, exit 1 (findings).
    assert b"INCOMPLETE (stopped by signal)" in stdout, stdout
    assert process.returncode == 1
