"""A read bounded by what the walk decided: a file that grows while it is read is not followed past the limit.

A local user can append to a file as fast as we read it (or point a log at it): the walk saw 5 MB, the read
would see 46 GiB and eat the whole time budget. The scan reads at most `max_file_bytes` of any file and says
when there was more.
"""

from __future__ import annotations

from typing import BinaryIO


class BoundedReader:
    """Reads at most `limit` bytes of `handle`; `truncated` says whether the file held more."""

    def __init__(self, handle: BinaryIO, limit: int) -> None:
        self._handle = handle
        self._remaining = limit
        self.truncated = False

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            self._check_more()
            return b""
        wanted = self._remaining if size is None or size < 0 else min(size, self._remaining)
        data = self._handle.read(wanted)
        self._remaining -= len(data)
        if self._remaining <= 0:
            self._check_more()
        return data

    def _check_more(self) -> None:
        if not self.truncated and self._handle.read(1):
            self.truncated = True


class TruncatedWith(Exception):
    """The file grew past the limit while read: `findings` are those of the part that was scanned."""

    def __init__(self, findings: list[object]) -> None:
        super().__init__("file truncated at the size limit")
        self.findings = findings
