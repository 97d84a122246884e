"""Archive members as bounded streams, never extracted: the zip family, tar (plain or compressed), gz, bz2, xz.

Every decompressed byte passes a LimitedReader that enforces the archive's limits (ArchiveLimits: members,
total uncompressed bytes shared across nesting, compression ratio per member, a per-archive deadline) and the
scan's keep_going. Past a limit the reader ends the stream (the part read is still scanned), the budget records
why, and the caller stops the archive; memory stays bounded because nothing is buffered beyond one read, except
a nested zip (zip needs to seek), which is read into memory only up to NESTED_ZIP_BYTES.

Member names are text only: they are never joined to a path on disk. Links, devices, encrypted members and
members of an unsupported compression are skipped and counted.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO, cast

NESTED_ZIP_BYTES = 16 * 1024 * 1024
MAX_CENTRAL_DIRECTORY = 16 * 1024 * 1024  # bytes of zip directory we let zipfile parse (~100k members)
RATIO_FLOOR = 1024 * 1024  # below this much output no ratio is judged: small members compress very well
_READ = 1024 * 1024
MAX_MEMBER_NAME = 1024

_ZIP_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".nupkg", ".whl", ".docx", ".xlsx", ".pptx")
_TAR_SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz", ".tar.bz2": "bz2", ".tbz2": "bz2", ".tbz": "bz2",
                 ".tar.xz": "xz", ".txz": "xz"}
_STREAM_SUFFIXES = {".gz": "gz", ".bz2": "bz2", ".xz": "xz"}
CORRUPT_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError, OSError,
                  ValueError, NotImplementedError, KeyError, IndexError, UnicodeError)


class Skip(StrEnum):
    """Why part of an archive (or a container) was not read: the report's skip reasons."""

    CORRUPT = "corrupt or unreadable archive"
    ENCRYPTED = "encrypted archive member"
    LINK = "link or device member"
    UNSUPPORTED = "unsupported compression method"
    MEMBERS = "member limit reached"
    BYTES = "uncompressed byte limit reached"
    RATIO = "compression ratio limit exceeded"
    DEPTH = "nesting depth limit reached"
    TIME = "archive time limit reached"
    MEMBER_TOO_LARGE = "member larger than the file size limit"
    NESTED_TOO_LARGE = "nested zip larger than the in-memory limit"
    CONTAINER_TOO_LARGE = "credential container too large to check"
    FAULT = "unexpected error while reading"


class Format(StrEnum):
    ZIP = "zip"
    TAR = "tar"
    STREAM = "stream"


@dataclass(frozen=True)
class ArchiveLimits:
    """Config keys archive_max_depth, _members, _bytes, _ratio, _seconds; depth 0 turns archives off."""

    max_depth: int = 3
    max_members: int = 10_000
    max_bytes: int = 256 * 1024 * 1024
    max_ratio: float = 100.0
    max_seconds: float = 60.0
    max_member_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True)
class ArchiveType:
    format: Format
    compression: str  # "", "gz", "bz2", "xz"
    suffix: str


def classify(name: str) -> ArchiveType | None:
    """The archive type a file name says (case-insensitive), or None."""
    lower = name.lower()
    if lower.endswith(_ZIP_SUFFIXES):
        return ArchiveType(Format.ZIP, "", "")
    for suffix, compression in _TAR_SUFFIXES.items():
        if lower.endswith(suffix):
            return ArchiveType(Format.TAR, compression, suffix)
    for suffix, compression in _STREAM_SUFFIXES.items():
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return ArchiveType(Format.STREAM, compression, suffix)
    return None


class Budget:
    """One top-level archive's shared limits: every level of nesting draws on the same bytes, members, time."""

    def __init__(self, limits: ArchiveLimits, keep_going: Callable[[], bool]) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.bytes_left = limits.max_bytes
        self.members = 0
        self.tripped: Skip | None = None
        self.halted = False  # the scan itself must stop (time budget, signal)
        self._keep_going = keep_going

    def may_continue(self) -> bool:
        if self.tripped is None and not self.halted:
            if not self._keep_going():
                self.halted = True
            elif time.monotonic() >= self.deadline:
                self.tripped = Skip.TIME
        return self.tripped is None and not self.halted

    def admit_member(self) -> bool:
        if not self.may_continue():
            return False
        self.members += 1
        if self.members > self.limits.max_members:
            self.tripped = Skip.MEMBERS
            return False
        return True


class LimitedReader(io.RawIOBase):
    """A read-only stream that charges the budget and ends early (EOF) when a limit is reached."""

    def __init__(self, raw: BinaryIO, budget: Budget, compressed: int | None, charge: bool = True,
                 member_cap: int | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget
        self._compressed = compressed
        self._charge = charge
        self._cap = member_cap
        self.produced = 0
        self.truncated = False  # ended at member_cap: the rest of this member only is skipped

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        budget = self._budget
        if not budget.may_continue():
            return 0
        want = min(len(buffer), _READ)
        if self._charge:
            want = min(want, budget.bytes_left + 1)
        if self._cap is not None:
            want = min(want, self._cap - self.produced + 1)
        if want <= 0:
            return 0
        data = self._raw.read(want)
        if not data:
            return 0
        if self._cap is not None and self.produced + len(data) > self._cap:
            data = data[:self._cap - self.produced]
            self.truncated = True
        if self._charge:
            if len(data) > budget.bytes_left:
                data = data[:budget.bytes_left]
                budget.tripped = Skip.BYTES
            budget.bytes_left -= len(data)
        self.produced += len(data)
        if (self._compressed is not None and self.produced > RATIO_FLOOR
                and self.produced > budget.limits.max_ratio * max(1, self._compressed)):
            budget.tripped = Skip.RATIO
        buffer[:len(data)] = data
        return len(data)


def limited(raw: BinaryIO, budget: Budget, compressed: int | None, charge: bool = True,
            member_cap: int | None = None) -> tuple[BinaryIO, LimitedReader]:
    reader = LimitedReader(raw, budget, compressed, charge, member_cap)
    return io.BufferedReader(reader, _READ), reader


@dataclass
class Member:
    """One member handed to the caller: its name (text only), its stream, and what is known of its size."""

    name: str
    stream: BinaryIO
    reader: LimitedReader
    size: int | None


def iter_members(kind: ArchiveType, outer_name: str, handle: BinaryIO, source_size: int, budget: Budget,
                 skip: Callable[[Skip], None]) -> Iterator[Member]:
    """The members of one archive, in order; the caller consumes each before asking for the next."""
    if kind.format is Format.ZIP:
        yield from _iter_zip(handle, budget, skip)
    elif kind.format is Format.TAR:
        yield from _iter_tar(kind, handle, source_size, budget, skip)
    elif budget.admit_member():
        stream, reader = limited(_decompressor(kind.compression, handle), budget, source_size,
                                 member_cap=budget.limits.max_member_bytes)
        inner = outer_name.rsplit("/", 1)[-1][:-len(kind.suffix)] or "data"
        yield Member(inner, stream, reader, None)


def _decompressor(compression: str, handle: BinaryIO) -> BinaryIO:
    if compression == "gz":
        return cast(BinaryIO, gzip.GzipFile(fileobj=handle, mode="rb"))
    if compression == "bz2":
        return cast(BinaryIO, bz2.BZ2File(handle, "rb"))
    if compression == "xz":
        return cast(BinaryIO, lzma.LZMAFile(handle, "rb"))
    return handle


def _iter_zip(handle: BinaryIO, budget: Budget, skip: Callable[[Skip], None]) -> Iterator[Member]:
    if _central_directory_size(handle) > MAX_CENTRAL_DIRECTORY:
        budget.tripped = Skip.MEMBERS
        return
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if not budget.admit_member():
                return
            # Unix file type bits (when the creator set any): links and devices are not content.
            file_type = stat.S_IFMT(info.external_attr >> 16)
            if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
                skip(Skip.LINK)
                continue
            if info.flag_bits & 0x1:
                skip(Skip.ENCRYPTED)
                continue
            if info.file_size > budget.limits.max_member_bytes:
                skip(Skip.MEMBER_TOO_LARGE)
                continue
            try:
                raw = archive.open(info)
            except NotImplementedError:
                skip(Skip.UNSUPPORTED)
                continue
            with raw:
                stream, reader = limited(raw, budget, info.compress_size,  # type: ignore[arg-type]
                                         member_cap=budget.limits.max_member_bytes)
                yield Member(_text_name(info.filename), stream, reader, info.file_size)


def _iter_tar(kind: ArchiveType, handle: BinaryIO, source_size: int, budget: Budget,
              skip: Callable[[Skip], None]) -> Iterator[Member]:
    # Every byte of the tar stream (decompressed) is charged once, here; members are views of it.
    stream, _ = limited(_decompressor(kind.compression, handle), budget,
                        source_size if kind.compression else None)
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for info in archive:
            if info.isdir():
                continue
            if not budget.admit_member():
                return
            if not info.isreg():
                skip(Skip.LINK)
                continue
            if info.size > budget.limits.max_member_bytes:
                skip(Skip.MEMBER_TOO_LARGE)
                continue
            content = archive.extractfile(info)
            if content is None:
                continue
            member, reader = limited(content, budget, None, charge=False)  # type: ignore[arg-type]
            yield Member(_text_name(info.name), member, reader, info.size)


def _text_name(name: str) -> str:
    """A member name as display text: never a path on disk; capped, NULs and newlines made visible."""
    flat = name.replace("\x00", "?").replace("\n", "?").replace("\r", "?")
    return flat if len(flat) <= MAX_MEMBER_NAME else "..." + flat[-MAX_MEMBER_NAME:]


def _central_directory_size(handle: BinaryIO) -> int:
    """Bytes of the zip's central directory per its end records (zip64 too); 0 when not found (zipfile will
    then report the archive as corrupt)."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    tail_start = max(0, size - (65535 + 22 + 20))
    handle.seek(tail_start)
    tail = handle.read()
    handle.seek(0)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        return 0
    directory = int.from_bytes(tail[end + 12:end + 16], "little")
    locator = end - 20
    if directory == 0xFFFFFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        record = int.from_bytes(tail[locator + 8:locator + 16], "little")
        if record + 56 > size:
            return MAX_CENTRAL_DIRECTORY + 1
        handle.seek(record)
        zip64 = handle.read(56)
        handle.seek(0)
        if zip64[:4] != b"PK\x06\x06":
            return 0
        directory = int.from_bytes(zip64[40:48], "little")
    return directory


def read_nested_zip(stream: BinaryIO, size: int | None) -> io.BytesIO | None:
    """A nested zip in memory (zip needs to seek), or None when it is larger than NESTED_ZIP_BYTES."""
    if size is not None and size > NESTED_ZIP_BYTES:
        return None
    data = stream.read(NESTED_ZIP_BYTES + 1)
    if len(data) > NESTED_ZIP_BYTES:
        return None
    return io.BytesIO(data)
