"""The source layer: what the engine reads is a file on disk, a member of an archive, or a decompressed stream.

Every source is scanned by the same Engine.scan_handle (sniffing, blocks, filters, fingerprints), under a
display path that names the member inside its archives (`backup.zip!app/.env`, `logs.tar.gz!x.log.gz!x.log`),
so findings, the time budget and the per-file fault boundary treat members like files. Sources whose name is
an archive are opened (engine/archives.py, within ArchiveLimits); sources whose name is a credential
container (catalog/containers.py) are also checked as a whole and reported even when no content rule fires.

A file on disk that is neither takes the ordinary path (scan.py); `claims` says which files come here.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import BinaryIO

from secret_scanner.catalog.containers import CONTAINER_KINDS, ContainerKind
from secret_scanner.engine import archives
from secret_scanner.engine import containers as container_check
from secret_scanner.engine.archives import ArchiveLimits, Budget, Skip
from secret_scanner.engine.detector import Engine, SkippedBinary, StoppedWith
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.outcome import FileOutcome
from secret_scanner.model import Finding

log = logging.getLogger(__name__)

MEMBER_SEPARATOR = "!"
_OPEN_FLAGS = os.O_RDONLY | sum(getattr(os, flag, 0) for flag in ("O_BINARY", "O_NOFOLLOW", "O_NONBLOCK",
                                                                     "O_NOCTTY"))


class SourceKind(StrEnum):
    FILE = "file"  # a regular file on disk
    MEMBER = "member"  # a member of a zip or tar archive
    STREAM = "stream"  # the decompressed content of a .gz, .bz2 or .xz


@dataclass(frozen=True)
class Source:
    path: str  # the display path: the file on disk, then `!member` for each level
    kind: SourceKind
    depth: int  # 0 for a file on disk, 1 for a member of it, ...
    size: int | None  # uncompressed size when known

    @property
    def name(self) -> str:
        return self.path.rsplit(MEMBER_SEPARATOR, 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]


@dataclass
class SourceTally:
    """What the archive and container paths read and skipped (ScanStats gets the totals)."""

    archives: int = 0
    members: int = 0
    skips: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: Skip) -> None:
        self.skips[reason.value] += 1

    def reasons(self) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(self.skips.items()))


class _Unreadable(Exception):
    """A file on disk named as an archive is corrupt or encrypted: counted as unreadable, not an error."""


class _Halt(Exception):
    """The scan must stop (time budget, signal): unwind every level of nesting."""


def is_claimed(path: str, limits: ArchiveLimits) -> bool:
    """Whether a file on disk goes through this layer (an archive or a credential container by name)."""
    name = os.path.basename(path)
    if limits.max_depth > 0 and archives.classify(name) is not None:
        return True
    # One regex of every container glob first: match_kind's glob-by-glob test is only run on the few names
    # that could be a container (match_kind needs one of these globs to match the same lowercased name).
    last = _SEPARATORS.split(path.lower())[-1]
    return _CONTAINER_NAMES.match(last) is not None and container_check.match_kind(path) is not None


_SEPARATORS = re.compile(r"[/\\!]")
_CONTAINER_NAMES = re.compile("|".join(
    f"(?:{fnmatch.translate(glob)})" for kind in CONTAINER_KINDS for glob in kind.names) or "(?!)", re.DOTALL)


class SourceScanner:
    def __init__(self, engine: Engine, fingerprinter: Fingerprinter, limits: ArchiveLimits) -> None:
        self._engine = engine
        self._fingerprinter = fingerprinter
        self.limits = limits
        self.tally = SourceTally()

    def claims(self, path: str) -> bool:
        return is_claimed(path, self.limits)

    def scan_entry(self, path: str, size: int, keep_going: Callable[[], bool]) -> FileOutcome:
        """Scan one claimed file: its own fault boundary, so no archive or container stops the scan."""
        found: list[Finding] = []
        if size == 0:
            return FileOutcome()
        source = Source(path, SourceKind.FILE, 0, size)
        try:
            with _open_regular(path) as handle:
                binary = self._scan_source(source, handle, found, keep_going, None)
        except _Halt:
            return FileOutcome(tuple(found), stopped=True)
        except _Unreadable:
            return FileOutcome(tuple(found), unreadable=True)
        except OSError as exc:
            log.debug("cannot read %s: %s", path, exc.strerror or type(exc).__name__)
            return FileOutcome(tuple(found), unreadable=True)
        except archives.CORRUPT_ERRORS as exc:
            self.tally.skip(Skip.CORRUPT)
            log.debug("unreadable archive %s: %s", path, type(exc).__name__)
            return FileOutcome(tuple(found), unreadable=True)
        except Exception as exc:  # the fault boundary: one hostile file never ends the scan
            self.tally.skip(Skip.FAULT)
            log.warning("skipped %s after an unexpected %s", path, type(exc).__name__)
            return FileOutcome(tuple(found), unreadable=True)
        return FileOutcome(tuple(found), binary=binary and not found)

    # -- one source ---------------------------------------------------------------------------------------

    def _scan_source(self, source: Source, handle: BinaryIO, found: list[Finding],
                     keep_going: Callable[[], bool], budget: Budget | None) -> bool:
        """Scan a source into `found`; True when it was binary with nothing to report."""
        kind = archives.classify(source.name) if self.limits.max_depth > 0 else None
        if kind is not None:
            if source.depth >= self.limits.max_depth:
                self.tally.skip(Skip.DEPTH)
                return True
            self._scan_archive(source, kind, handle, found, keep_going, budget)
            return False
        container = container_check.match_kind(source.path)
        if container is not None:
            return self._scan_container(source, container, handle, found, keep_going)
        return self._scan_content(source, handle, found, keep_going)

    def _scan_content(self, source: Source, handle: BinaryIO, found: list[Finding],
                      keep_going: Callable[[], bool]) -> bool:
        try:
            found.extend(self._engine.scan_handle(handle, source.path, keep_going))
        except SkippedBinary:
            return True
        except StoppedWith as stopped:
            found.extend(stopped.findings)
            raise _Halt from None
        return False

    def _scan_container(self, source: Source, kind: ContainerKind, handle: BinaryIO,
                        found: list[Finding], keep_going: Callable[[], bool]) -> bool:
        data = handle.read(container_check.CONTAINER_READ_BYTES + 1)
        truncated = len(data) > container_check.CONTAINER_READ_BYTES
        digest = hashlib.sha256(data)
        size = len(data)
        while piece := handle.read(archives.NESTED_ZIP_BYTES):  # identity covers the whole file, bounded reads
            digest.update(piece)
            size += len(piece)
        binary = True
        if not truncated:
            binary = self._scan_content(source, io.BytesIO(data), found, keep_going)
        elif source.kind is SourceKind.FILE:
            with _open_regular(source.path) as again:
                binary = self._scan_content(source, again, found, keep_going)
        verdict = container_check.inspect(kind, data[:container_check.CONTAINER_READ_BYTES], truncated)
        if verdict is None and truncated:
            self.tally.skip(Skip.CONTAINER_TOO_LARGE)
        if verdict is not None:
            found.append(container_check.build_finding(kind, verdict, source.path, digest.hexdigest(), size,
                                                       self._fingerprinter))
            return False
        return binary

    # -- archives -----------------------------------------------------------------------------------------

    def _scan_archive(self, source: Source, kind: archives.ArchiveType, handle: BinaryIO, found: list[Finding],
                      keep_going: Callable[[], bool], budget: Budget | None) -> None:
        top = budget is None
        shared = budget if budget is not None else Budget(self.limits, keep_going)
        if kind.format is archives.Format.ZIP and source.kind is not SourceKind.FILE:
            nested = archives.read_nested_zip(handle, source.size)
            if nested is None:
                self.tally.skip(Skip.NESTED_TOO_LARGE)
                return
            handle = nested
        self.tally.archives += 1
        try:
            members = archives.iter_members(kind, source.name, handle, source.size or 0, shared, self.tally.skip)
            for member in members:
                self.tally.members += 1
                child_kind = SourceKind.STREAM if kind.format is archives.Format.STREAM else SourceKind.MEMBER
                child = Source(source.path + MEMBER_SEPARATOR + member.name, child_kind, source.depth + 1,
                               member.size)
                self._scan_member(child, member, found, keep_going, shared)
                if shared.halted:
                    raise _Halt
                if shared.tripped is not None:
                    break
        except archives.CORRUPT_ERRORS as exc:
            if shared.halted:
                raise _Halt from None
            if shared.tripped is None:  # a stream ended early by a limit reads as corrupt: name the limit
                self.tally.skip(Skip.CORRUPT)
                log.debug("unreadable archive %s: %s", source.path, type(exc).__name__)
                if top:
                    raise _Unreadable from None
        if shared.halted:
            raise _Halt
        if top and shared.tripped is not None:
            self.tally.skip(shared.tripped)

    def _scan_member(self, child: Source, member: archives.Member, found: list[Finding],
                     keep_going: Callable[[], bool], budget: Budget) -> None:
        try:
            self._scan_source(child, member.stream, found, budget.may_continue, budget)
        except _Halt:
            if budget.halted or not keep_going():
                raise
            # the member's stream hit an archive limit mid-block: the archive stops, the scan goes on
        if member.reader.truncated:
            self.tally.skip(Skip.MEMBER_TOO_LARGE)


def _open_regular(path: str) -> BinaryIO:
    """Open without following a link; refuse anything but a regular file (a FIFO would block the read)."""
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(0, "not a regular file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
