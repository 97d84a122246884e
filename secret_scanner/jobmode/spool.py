"""The spool: KeeperLogger messages a run could not deliver, kept in the state directory for the next run.

One owner-only file per message, written atomically, named so that names sort oldest first. Bounded by count
and bytes (oldest dropped, with a logged count). A file that cannot be read back is moved to a quarantine
folder with a warning; it never stops a run.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.errors import StateError
from secret_scanner.state.files import write_private_file

log = logging.getLogger(__name__)

SPOOL_DIR = "spool"
QUARANTINE_DIR = "quarantine"
SPOOL_FORMAT = 1
MAX_MESSAGES = 1000
MAX_BYTES = 5 * 1024 * 1024
MAX_QUARANTINED = 100
_SUFFIX = ".json"
_sequence = itertools.count()


@dataclass(frozen=True)
class SpooledMessage:
    name: str
    topic: str
    payload: bytes


class Spool:
    def __init__(self, state_dir: Path, max_messages: int = MAX_MESSAGES, max_bytes: int = MAX_BYTES) -> None:
        self.directory = state_dir / SPOOL_DIR
        self.max_messages = max_messages
        self.max_bytes = max_bytes

    def load(self) -> list[SpooledMessage]:
        """Every kept message, oldest first. Corrupt files are quarantined, stale temp files removed."""
        messages: list[SpooledMessage] = []
        for path in self._files():
            try:
                messages.append(_read(path))
            except (OSError, ValueError) as exc:
                self._quarantine(path, exc)
        return messages

    def add(self, topic: str, payloads: Sequence[bytes]) -> int:
        """Keep `payloads` for the next run; return how many were written. Never raises."""
        if not payloads:
            return 0
        try:
            self._ensure_directory()
        except OSError as exc:
            log.error(
                "cannot create spool %s: %s; %d message(s) lost",
                self.directory,
                exc.strerror or exc,
                len(payloads),
            )
            return 0
        written = 0
        for payload in payloads:
            name = f"{time.time_ns():020d}-{next(_sequence):06d}-{uuid.uuid4().hex[:8]}{_SUFFIX}"
            record = {"spool_format": SPOOL_FORMAT, "topic": topic, "payload": payload.decode("utf-8")}
            try:
                write_private_file(
                    self.directory / name, json.dumps(record, ensure_ascii=False).encode("utf-8")
                )
            except StateError as exc:
                log.error("%s; message not kept", exc)
                continue
            written += 1
        self._enforce_bounds()
        return written

    def remove(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                (self.directory / name).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot remove delivered spool file %s: %s", name, exc.strerror or exc)

    def count(self) -> int:
        return len(self._files())

    def _files(self) -> list[Path]:
        try:
            entries = list(self.directory.iterdir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("cannot read spool %s: %s", self.directory, exc.strerror or exc)
            return []
        files: list[Path] = []
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                _remove_stale_temp(entry)
            elif entry.name.endswith(_SUFFIX) and not entry.name.startswith("."):
                files.append(entry)
        return sorted(files, key=lambda p: p.name)

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

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
                "message(s)",
                self.directory,
                self.max_messages,
                self.max_bytes,
                dropped,
            )

    def _quarantine(self, path: Path, exc: BaseException) -> None:
        target_dir = self.directory / QUARANTINE_DIR
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        try:
            target_dir.mkdir(mode=0o700, exist_ok=True)
            os.replace(path, target_dir / path.name)
        except OSError:
            path.unlink(missing_ok=True)
            log.warning("corrupt spool file %s (%s) could not be quarantined: removed", path.name, reason)
            return
        log.warning("corrupt spool file %s (%s) moved to %s", path.name, reason, target_dir)
        old = sorted(target_dir.iterdir(), key=lambda p: p.name)
        for stale in old[: max(0, len(old) - MAX_QUARANTINED)]:
            stale.unlink(missing_ok=True)


def _read(path: Path) -> SpooledMessage:
    record = json.loads(path.read_bytes().decode("utf-8"))
    if not isinstance(record, dict) or record.get("spool_format") != SPOOL_FORMAT:
        raise ValueError("not a spool record")
    topic, payload = record.get("topic"), record.get("payload")
    if not isinstance(topic, str) or not topic or not isinstance(payload, str):
        raise ValueError("spool record lacks topic or payload")
    envelope = json.loads(payload)
    if not isinstance(envelope, dict) or not envelope.get("Id"):
        raise ValueError("spooled payload is not a KeeperLogger message")
    return SpooledMessage(path.name, topic, payload.encode("utf-8"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove_stale_temp(path: Path) -> None:
    # The run lock guarantees no other writer is alive: a temp file here is a leftover of a killed run.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
