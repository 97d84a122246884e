"""Attacks on the state directory and the spool (issue #11, items 1, 4, 5 and 12): planted records, links,
FIFOs, a full disk and a clock set back never make a run lie, hang or lose the newest messages."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from secret_scanner.errors import StateError
from secret_scanner.jobmode import messages as message
from secret_scanner.jobmode import spool as spool_module
from secret_scanner.jobmode.spool import MAX_TRIES, Spool
from secret_scanner.state.directory import ensure_state_dir
from secret_scanner.state.lock import LOCK_FILE, acquire_run_lock

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX ownership, modes, FIFOs")
KL = message.LOGGER_TOPIC


def payload(text: str) -> bytes:
    return message.encode(message.build_log_message(message.LogLevel.INFO, "SecretsScan", text, "run-1"))


def texts(spool: Spool) -> list[str]:
    return [json.loads(m.payload)["MetaData"]["Message"] for m in spool.load()]


def _record(text: str, topic: str = KL) -> bytes:
    return json.dumps({"spool_format": 1, "topic": topic, "payload": payload(text).decode()}).encode()


@posix_only
def test_run_lock_symlink_does_not_overwrite_a_root_only_file(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / "state")
    victim = tmp_path / "shadow"
    victim.write_bytes(b"root:secret-hash\n")
    os.chmod(victim, 0o600)
    (state / LOCK_FILE).symlink_to(victim)
    with acquire_run_lock(state):
        pass
    assert victim.read_bytes() == b"root:secret-hash\n"
    lock = state / LOCK_FILE
    assert not lock.is_symlink() and stat.S_ISREG(lock.lstat().st_mode)


@posix_only
def test_run_lock_hard_link_to_another_file_is_not_written(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / "state")
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me\n")
    os.chmod(victim, 0o600)
    os.link(victim, state / LOCK_FILE)
    with acquire_run_lock(state):
        pass
    assert victim.read_bytes() == b"keep me\n"


@posix_only
def test_state_directory_once_writable_by_others_sets_its_content_aside(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, 0o777)  # noqa: S103 - the attack: every local user could write here
    spool_dir = state / "spool"
    spool_dir.mkdir()
    (spool_dir / "00000000000000000000-aaaaaaaa.json").write_bytes(_record("complete: 0 secret(s)"))
    ensure_state_dir(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert Spool(state).load() == [], "a record planted while others could write is never published"
    assert any(p.name.startswith("untrusted-") for p in state.iterdir())


@posix_only
def test_planted_spool_record_of_another_owner_is_quarantined_not_published(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.add(KL, [payload("ours")])
    planted = spool.directory / "00000000000000000000-bbbbbbbb.json"
    planted.write_bytes(_record("Secret scan complete: 0 secret(s) found"))
    os.chmod(planted, 0o666)  # noqa: S103 - the attack: a record others may write
    if os.geteuid() == 0:
        os.chown(planted, 65534, 65534)
    assert texts(spool) == ["ours"]
    assert list((spool.directory / "quarantine").iterdir())


@posix_only
@pytest.mark.timeout(20)
def test_fifo_in_the_spool_does_not_hang_the_run(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.add(KL, [payload("ours")])
    os.mkfifo(spool.directory / "00000000000000000000-cccccccc.json")
    assert texts(spool) == ["ours"]


@posix_only
@pytest.mark.timeout(20)
def test_symlink_to_dev_zero_in_the_spool_does_not_exhaust_memory(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.add(KL, [payload("ours")])
    (spool.directory / "00000000000000000000-dddddddd.json").symlink_to("/dev/zero")
    assert texts(spool) == ["ours"]


@posix_only
def test_spool_directory_symlink_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "spool").symlink_to(elsewhere)
    assert Spool(state).add(KL, [payload("ours")]) == 1
    assert list(elsewhere.iterdir()) == []
    assert not (state / "spool").is_symlink()


def test_spool_record_with_a_wildcard_topic_is_quarantined(tmp_path: Path) -> None:
    spool = Spool(tmp_path, topics=(KL,))
    spool.add(KL, [payload("ours")])
    (spool.directory / "00000000000000000000-eeeeeeee.json").write_bytes(_record("x", topic="#"))
    os.chmod(spool.directory / "00000000000000000000-eeeeeeee.json", 0o600)
    (spool.directory / "00000000000000000001-ffffffff.json").write_bytes(_record("x", topic="Other/topic"))
    os.chmod(spool.directory / "00000000000000000001-ffffffff.json", 0o600)
    assert texts(spool) == ["ours"]
    assert len(list((spool.directory / "quarantine").iterdir())) == 2


def test_record_the_broker_keeps_refusing_is_quarantined_after_bounded_tries(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spool = Spool(tmp_path)
    spool.add(KL, [payload("refused"), payload("fine")])
    for attempt in range(MAX_TRIES):
        refused = [m.name for m in spool.load() if b"refused" in m.payload]
        assert refused, f"quarantined too early (try {attempt})"
        spool.note_refused(refused)
    assert texts(spool) == ["fine"]
    assert sum("refused by the broker" in r.getMessage() for r in caplog.records) == 1


def test_clock_set_back_new_messages_still_sort_after_old_ones_and_survive_the_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    spool = Spool(tmp_path, max_messages=3)
    spool.add(KL, [payload("old-1"), payload("old-2"), payload("old-3")])
    monkeypatch.setattr(time, "time_ns", lambda: 1)  # the clock set back to 1970
    monkeypatch.setattr(time, "time", lambda: 1.0)
    assert spool.add(KL, [payload("new")]) == 1
    assert texts(spool) == ["old-2", "old-3", "new"], "the oldest goes, never the new run's message"
    assert spool.dropped() == 1


def _disk_fills_after(monkeypatch: pytest.MonkeyPatch, free_records: int) -> None:
    """write_private_file succeeds while fewer than `free_records` records exist, then fails with ENOSPC."""
    real = spool_module.write_private_file

    def write(path: Path, data: bytes) -> None:
        existing = [p for p in path.parent.iterdir() if p.name.endswith(".json")]
        if path.name.endswith(".json") and len(existing) >= free_records:
            raise StateError(f"cannot write {path}: No space left on device") from OSError(
                errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(spool_module, "write_private_file", write)


def test_disk_full_while_spooling_drops_the_oldest_and_counts_truthfully(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spool = Spool(tmp_path)
    _disk_fills_after(monkeypatch, free_records=14)
    kept = spool.add(KL, [payload(f"m{i}") for i in range(66)])
    on_disk = texts(spool)
    assert kept == len(on_disk) == 14, "the returned count is what the spool holds"
    assert on_disk[-1] == "m65", "the newest (the summary comes last) is kept"
    assert spool.dropped() == 66 - 14, "the drop count is kept for the next run to publish"


def test_empty_or_foreign_drop_counter_is_not_trusted(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.note_dropped(5)
    assert spool.dropped() == 5
    counter = spool.directory / spool_module.DROPPED_FILE
    counter.write_bytes(b"not a number")
    assert spool.dropped() == 0
    spool.note_dropped(2)
    spool.clear_dropped(2)
    assert spool.dropped() == 0
