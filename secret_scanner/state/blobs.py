"""Blobs this install wrote to its state directory, authenticated so that a planted one is never trusted.

Each file is `HMAC-SHA256(key, name + data) || data`: a file planted by another user (who cannot read the
owner-only install key) fails the check and is quarantined. Used for the compiled Hyperscan database, whose
file name anyone can compute from public data: a planted database that matches nothing would blind the scan.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from pathlib import Path

from secret_scanner.errors import StateError
from secret_scanner.state.files import UntrustedFileError, quarantine, read_private_file, write_private_file

log = logging.getLogger(__name__)

MAX_BLOB_BYTES = 256 * 1024 * 1024
_TAG_BYTES = 32


class AuthenticatedBlobStore:
    def __init__(self, state_dir: Path, key: bytes) -> None:
        self.directory = state_dir
        self._key = key

    def read(self, name: str) -> bytes | None:
        path = self.directory / name
        try:
            blob = read_private_file(path, MAX_BLOB_BYTES)
        except UntrustedFileError as exc:
            quarantine(self.directory, path, str(exc))
            return None
        except OSError as exc:
            log.debug("cannot read %s: %s", path, exc.strerror or type(exc).__name__)
            return None
        if blob is None:
            return None
        tag, data = blob[:_TAG_BYTES], blob[_TAG_BYTES:]
        if len(tag) != _TAG_BYTES or not hmac.compare_digest(tag, self._tag(name, data)):
            quarantine(self.directory, path, f"state file {path} was not written by this install")
            return None
        return data

    def write(self, name: str, data: bytes) -> None:
        try:
            write_private_file(self.directory / name, self._tag(name, data) + data)
        except StateError as exc:
            log.debug("%s", exc)

    def prune(self, prefix: str, keep: str) -> None:
        for stale in self.directory.glob(f"{prefix}*"):
            if stale.name != keep and not stale.is_symlink():
                with contextlib.suppress(OSError):
                    stale.unlink()
            elif stale.is_symlink():
                quarantine(self.directory, stale, f"state file {stale} is a symbolic link")

    def _tag(self, name: str, data: bytes) -> bytes:
        return hmac.new(self._key, name.encode() + b"\0" + data, hashlib.sha256).digest()
