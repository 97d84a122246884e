"""The spool of undelivered messages: owner-only, ordered, bounded, and robust against corrupt files."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from secret_scanner.jobmode import messages as message
from secret_scanner.jobmode.spool import Spool


def payload(text: str) -> bytes:
    return message.encode(message.build_log_message(message.LogLevel.INFO, "SecretsScan", text, "run-1"))


def texts(spool: Spool) -> list[str]:
    return [json.loads(m.payload)["MetaData"]["Message"] for m in spool.load()]


def test_keeps_messages_in_order_owner_only_and_removes_delivered(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    assert spool.load() == []
    assert spool.add("KeeperLogger", [payload("one"), payload("two"), payload("three")]) == 3
    assert texts(spool) == ["one", "two", "three"]
    if sys.platform != "win32":
        assert spool.directory.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in spool.directory.glob("*.json"))
    kept = spool.load()
    assert {m.topic for m in kept} == {"KeeperLogger"}
    spool.remove([kept[0].name, kept[2].name])
    assert texts(spool) == ["two"]


def test_bounded_by_count_dropping_the_oldest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spool = Spool(tmp_path, max_messages=3)
    with caplog.at_level(logging.WARNING, logger="secret_scanner"):
        spool.add("KeeperLogger", [payload(str(i)) for i in range(5)])
    assert texts(spool) == ["2", "3", "4"]
    assert any("dropped the 2 oldest" in r.getMessage() for r in caplog.records)


def test_bounded_by_bytes(tmp_path: Path) -> None:
    one = len(
        json.dumps({"spool_format": 1, "topic": "KeeperLogger", "payload": payload("x" * 100).decode()})
    )
    spool = Spool(tmp_path, max_bytes=one * 2 + 10)
    spool.add("KeeperLogger", [payload("x" * 100) for _ in range(4)])
    assert spool.count() == 2


def test_corrupt_file_is_quarantined_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spool = Spool(tmp_path)
    spool.add("KeeperLogger", [payload("good")])
    (spool.directory / "00000000000000000001-000000-deadbeef.json").write_bytes(b"{not json")
    (spool.directory / "00000000000000000002-000000-deadbeef.json").write_text('{"spool_format": 1}')
    with caplog.at_level(logging.WARNING, logger="secret_scanner"):
        assert texts(spool) == ["good"]
    assert len(list((spool.directory / "quarantine").iterdir())) == 2
    assert sum("corrupt spool file" in r.getMessage() for r in caplog.records) == 2
    assert texts(spool) == ["good"]


def test_stale_temp_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.add("KeeperLogger", [payload("good")])
    stale = spool.directory / ".00000000000000000001-000000-x.json.999.tmp"
    stale.write_bytes(b"half")
    assert texts(spool) == ["good"]
    assert not stale.exists()


def test_unwritable_spool_does_not_raise(tmp_path: Path) -> None:
    blocker = tmp_path / "spool"
    blocker.write_text("a file where the directory should be")
    assert Spool(tmp_path).add("KeeperLogger", [payload("lost")]) == 0
