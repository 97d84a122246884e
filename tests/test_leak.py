"""No raw secret leaves the process: not over MQTT (any topic), not on stdout/stderr, not in the report,
not in the spool or any other file of the state directory. Runs the real program (subprocess) in job mode,
once with the broker up and once with it down (so the spool is written), and searches every byte for every
planted secret and every 12-character piece of it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import Broker, Observer, PlantedTree, SettingsServer, free_port, scanner_env

MIN_PIECE = 12


def pieces(secret: str) -> set[str]:
    return {secret[i : i + MIN_PIECE] for i in range(len(secret) - MIN_PIECE + 1)} or {secret}


def assert_no_leak(blob: bytes, secrets: tuple[str, ...], where: str) -> None:
    text = blob.decode("utf-8", "replace")
    for secret in secrets:
        leaked = [piece for piece in pieces(secret) if piece in text]
        # Never print the secret itself in the failure: say which kind and where.
        assert not leaked, (
            f"{len(leaked)} piece(s) of a planted {len(secret)}-char secret leaked into {where}"
        )


def read_tree(root: Path) -> bytes:
    return b"\n".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


def test_no_secret_reaches_mqtt_output_reports_or_state(
    scanner_command: list[str],
    broker: Broker,
    observe: Callable[[Broker], Observer],
    settings_server: SettingsServer,
    planted: PlantedTree,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    settings_server.broker_port = free_port()  # first run: broker unreachable, everything spooled
    offline = subprocess.run(
        [
            *scanner_command,
            "--scan",
            f"--keeper-api-base={settings_server.url}",
            "--path",
            str(planted.root),
            "--state-dir",
            str(state),
            "--report",
            str(tmp_path / "offline.txt"),
            "--format",
            "text",
            "--verbose",
        ],
        env=scanner_env(),
        capture_output=True,
        timeout=60,
    )
    assert offline.returncode == 4, offline.stderr
    spool_bytes = read_tree(state)
    assert b"KeeperLogger" in spool_bytes  # the spool really holds the undelivered messages

    settings_server.broker_port = broker.port
    observer = observe(broker)
    online = subprocess.run(
        [
            *scanner_command,
            "--scan",
            f"--keeper-api-base={settings_server.url}",
            "--path",
            str(planted.root),
            "--state-dir",
            str(state),
            "--report",
            str(tmp_path / "report.json"),
            "--verbose",
        ],
        env=scanner_env(),
        capture_output=True,
        timeout=60,
    )
    assert online.returncode == 1, online.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert len(report["findings"]) >= 2  # the test is only meaningful if the secrets were found
    assert observer.wait_for(lambda o: any(b"completed" in p for _, p in o.messages))

    everything = {
        "stdout/stderr of the offline run": offline.stdout + offline.stderr,
        "stdout/stderr of the online run": online.stdout + online.stderr,
        "the spool written by the offline run": spool_bytes,
        "the state directory after both runs": read_tree(state),
        "the reports": (tmp_path / "offline.txt").read_bytes() + (tmp_path / "report.json").read_bytes(),
        "MQTT (all topics)": observer.all_bytes(),
        "the broker log": broker.log_path.read_bytes(),
    }
    assert everything["MQTT (all topics)"].count(b'"MetaData"') >= 6
    for where, blob in everything.items():
        assert_no_leak(blob, planted.secrets, where)


def test_the_leak_check_itself_detects_a_leak(planted: PlantedTree) -> None:
    secret = planted.secrets[0]
    blob = f"prefix {secret[3 : 3 + MIN_PIECE]} suffix".encode()
    try:
        assert_no_leak(blob, planted.secrets, "a planted blob")
    except AssertionError as exc:
        assert secret not in str(exc)
    else:
        raise AssertionError("a 12-character piece of a secret went unnoticed")
