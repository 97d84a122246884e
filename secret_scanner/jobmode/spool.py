"""The spool: KeeperLogger messages not yet acknowledged, kept in the state directory for the next run.

A run writes each message here BEFORE it publishes it and removes it when its PUBACK comes (write-ahead), so a
run killed at any moment (the agent's timeout SIGKILL) loses nothing; the next run delivers what is left
(at least once: every message has its own `Id`).

The spool is hostile input (issue #11): every file is read without following links and checked (regular,
ours, not writable by others, bounded: state/files.py); what fails is quarantined with a warning. Order is a
sequence number in the file name, never the clock (a clock set back must not make new messages "older").
Writes are all-or-nothing per message and the returned count is the truth. When space or the bound runs out
the oldest messages go first, and the count of dropped messages is itself kept (`dropped.count`) until a run
has published it. A record the broker refuses MAX_TRIES times is quarantined, so it never blocks the rest.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import stat
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.errors import StateError
from secret_scanner.state.directory import ensure_private_subdir
from secret_scanner.state.files import UntrustedFileError, read_private_file, write_private_file

log = logging.getLogger(__name__)

SPOOL_DIR = "spool"
QUARANTINE_DIR = "quarantine"
DROPPED_FILE = "dropped.count"
SPOOL_FORMAT = 1
MAX_MESSAGES = 1000
MAX_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 256 * 1024
MAX_QUARANTINED = 100
MAX_TRIES = 3
_SUFFIX = ".json"
# {sequence:020d}-{random}[-t{refusals}].json; older spools named files {time_ns:020d}-...: same order.
_NAME = re.compile(r"^(\d{1,20})-[0-9a-z-]*?(?:-t(\d+))?\.json$")
_TOPIC_FORBIDDEN = set("+#\x00")


@dataclass(frozen=True)
class SpooledMessage:
    name: str
    topic: str
    payload: bytes


class Spool:
    def __init__(self, state_dir: Path, max_messages: int = MAX_MESSAGES, max_bytes: int = MAX_BYTES,
                 topics: Collection[str] | None = None) -> None:
        self.state_dir = state_dir
        self.directory = state_dir / SPOOL_DIR
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.topics = frozenset(topics) if topics is not None else None

    # -- reading ------------------------------------------------------------------------------------------

    def load(self) -> list[SpooledMessage]:
        """Every kept message, oldest first. Untrusted or corrupt files are quarantined, stale temp files
        removed."""
        messages: list[SpooledMessage] = []
        for path in self._files():
            try:
                messages.append(self._read(path))
            except UntrustedFileError as exc:
                self._quarantine(path, str(exc))
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
                self._quarantine(path, f"corrupt spool file {path.name} ({reason})")
        return messages

    def count(self) -> int:
        return len(self._files())

    def dropped(self) -> int:
        """How many messages were dropped (full disk, spool bound) and not yet announced by a published run."""
        try:
            data = read_private_file(self.directory / DROPPED_FILE, 64)
            return max(0, int((data or b"0").decode("ascii").strip() or "0"))
        except (UntrustedFileError, OSError, ValueError) as exc:
            log.warning("spool drop counter unusable (%s); counting anew", type(exc).__name__)
            self._forget(self.directory / DROPPED_FILE)
            return 0

    # -- writing ------------------------------------------------------------------------------------------

    def add(self, topic: str, payloads: Sequence[bytes]) -> int:
        """Keep `payloads` for the next run; return how many were kept. Never raises."""
        return sum(1 for name in self.add_named(topic, payloads) if name is not None)

    def add_named(self, topic: str, payloads: Sequence[bytes]) -> list[str | None]:
        """Keep each payload (all or nothing per message); its spool name, or None where it was not kept."""
        if not payloads:
            return []
        try:
            self._ensure_directory()
        except (OSError, StateError) as exc:
            log.error("cannot use spool %s: %s; %d message(s) lost", self.directory, exc, len(payloads))
            self.note_dropped(len(payloads))
            return [None] * len(payloads)
        sequence = self._next_sequence()
        names: list[str | None] = []
        lost = 0
        for payload in payloads:
            name = f"{sequence:020d}-{uuid.uuid4().hex[:8]}{_SUFFIX}"
            sequence += 1
            record = {"spool_format": SPOOL_FORMAT, "topic": topic, "payload": payload.decode("utf-8")}
            if self._write_making_room(name, json.dumps(record, ensure_ascii=False).encode("utf-8")):
                names.append(name)
            else:
                names.append(None)
                lost += 1
        self._enforce_bounds()
        # The count is the truth: a record dropped to make room for a later one is not "kept".
        names = [n if n is not None and (self.directory / n).exists() else None for n in names]
        if lost:
            log.error("spool %s: %d message(s) could not be kept (no space left)", self.directory, lost)
            self.note_dropped(lost)
        return names

    def remove(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                (self.directory / name).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot remove delivered spool file %s: %s", name, exc.strerror or exc)

    def note_refused(self, names: Sequence[str]) -> None:
        """The broker refused these records once more: after MAX_TRIES refusals a record is quarantined."""
        for name in names:
            match = _NAME.match(name)
            if match is None:
                continue
            tries = int(match.group(2) or 0) + 1
            path = self.directory / name
            if tries >= MAX_TRIES:
                self._quarantine(path, f"spool record {name} refused by the broker {tries} times; not retried")
                continue
            renamed = _NAME_TRIES.sub("", name)[: -len(_SUFFIX)] + f"-t{tries}{_SUFFIX}"
            with contextlib.suppress(OSError):
                os.replace(path, self.directory / renamed)

    def note_dropped(self, count: int) -> None:
        """Add `count` to the kept tally of dropped messages (announced by the next run that can publish)."""
        if count <= 0:
            return
        total = self.dropped() + count
        try:
            self._ensure_directory()
            write_private_file(self.directory / DROPPED_FILE, str(total).encode("ascii"))
        except (OSError, StateError) as exc:
            log.error("cannot record %d dropped message(s): %s", total, exc)

    def clear_dropped(self, announced: int) -> None:
        """`announced` dropped messages were published; keep only those dropped since."""
        rest = self.dropped() - announced
        self._forget(self.directory / DROPPED_FILE)
        if rest > 0:
            self.note_dropped(rest)

    # -- internals ----------------------------------------------------------------------------------------

    def _read(self, path: Path) -> SpooledMessage:
        data = read_private_file(path, MAX_RECORD_BYTES)
        if data is None:
            raise ValueError("vanished")
        record = json.loads(data.decode("utf-8"))
        if not isinstance(record, dict) or record.get("spool_format") != SPOOL_FORMAT:
            raise ValueError("not a spool record")
        topic, payload = record.get("topic"), record.get("payload")
        if not isinstance(topic, str) or not isinstance(payload, str) or not _is_publishable(topic):
            raise ValueError("spool record lacks a publishable topic or a payload")
        if self.topics is not None and topic not in self.topics:
            raise ValueError("spool record names a topic this program never writes")
        envelope = json.loads(payload)
        if not isinstance(envelope, dict) or not envelope.get("Id"):
            raise ValueError("spooled payload is not a KeeperLogger message")
        return SpooledMessage(path.name, topic, payload.encode("utf-8"))

    def _files(self) -> list[Path]:
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("cannot read spool %s: %s", self.directory, exc.strerror or exc)
            return []
        files: list[Path] = []
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                _remove_stale_temp(Path(entry.path))
            elif entry.name.endswith(_SUFFIX) and not entry.name.startswith("."):
                files.append(Path(entry.path))
        return sorted(files, key=_order_of)

    def _ensure_directory(self) -> None:
        ensure_private_subdir(self.state_dir, SPOOL_DIR)

    def _next_sequence(self) -> int:
        numbers = [_order_of(path)[0] for path in self._files()]
        return max(numbers, default=-1) + 1

    def _write_making_room(self, name: str, data: bytes) -> bool:
        """Write one record; on a full disk drop the oldest records (counted) until it fits or none is left."""
        while True:
            try:
                write_private_file(self.directory / name, data)
                return True
            except StateError as exc:
                cause = exc.__cause__
                if not (isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT)):
                    log.error("%s; message not kept", exc)
                    return False
                if not self._drop_oldest():
                    return False

    def _drop_oldest(self) -> bool:
        for oldest in self._files():
            try:
                oldest.unlink()
            except OSError:
                continue
            self.note_dropped(1)
            return True
        return False

    def _enforce_bounds(self) -> None:
        files = self._files()
        sizes = [_size(p) for p in files]
        total = sum(sizes)
        dropped = 0
        while files and (len(files) > self.max_messages or total > self.max_bytes):
            oldest = files.pop(0)
            total -= sizes.pop(0)
            try:
                oldest.unlink(missing_ok=True)
            except OSError:
                continue
            dropped += 1
        if dropped:
            log.warning(
                "spool %s is full (at most %d messages, %d bytes): dropped the %d oldest undelivered "
                "message(s)", self.directory, self.max_messages, self.max_bytes, dropped)
            self.note_dropped(dropped)

    def _quarantine(self, path: Path, reason: str) -> None:
        target_dir = self.directory / QUARANTINE_DIR
        try:
            ensure_private_subdir(self.directory, QUARANTINE_DIR)
            os.replace(path, target_dir / path.name)
        except (OSError, StateError):
            self._forget(path)
            log.warning("%s; could not be quarantined: removed", reason)
            return
        log.warning("%s; moved to %s", reason, target_dir)
        with contextlib.suppress(OSError):
            old = sorted(target_dir.iterdir(), key=lambda p: p.name)
            for stale in old[: max(0, len(old) - MAX_QUARANTINED)]:
                self._forget(stale)

    @staticmethod
    def _forget(path: Path) -> None:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                os.rmdir(path)
            else:
                path.unlink(missing_ok=True)


_NAME_TRIES = re.compile(r"-t\d+(?=\.json$)")


def _order_of(path: Path) -> tuple[int, str]:
    match = _NAME.match(path.name)
    return (int(match.group(1)) if match else 0, path.name)


def _is_publishable(topic: str) -> bool:
    return 0 < len(topic) <= 256 and not any(c in _TOPIC_FORBIDDEN for c in topic)


def _size(path: Path) -> int:
    try:
        info = path.lstat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _remove_stale_temp(path: Path) -> None:
    # The run lock guarantees no other writer is alive: a temp file here is a leftover of a killed run.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
