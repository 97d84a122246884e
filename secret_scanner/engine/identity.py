"""Redaction and identity of secrets, in one place: the preview shown to people and the keyed fingerprint."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from secret_scanner.errors import StateError

KEY_FILE = "fingerprint.key"
KEY_BYTES = 32
FINGERPRINT_HEX = 32
_ORG_KEY_CONTEXT = b"secret-scanner/org-fingerprint/v1"


def redact(secret: str) -> str:
    """A preview that reveals at most a few leading characters and the length; nothing for short secrets."""
    length = len(secret)
    if length >= 20:
        shown = 4
    elif length >= 12:
        shown = 2
    else:
        shown = 0
    return f"{secret[:shown]}...({length} chars)"


class Fingerprinter:
    """HMAC-SHA256 of a secret under a key: stable across runs and paths, useless for brute force without it."""

    def __init__(self, key: bytes, scope: str) -> None:
        if len(key) < 16:
            raise StateError("fingerprint key is too short")
        self._key = key
        self.scope = scope

    def fingerprint(self, secret: str) -> str:
        digest = hmac.new(self._key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return digest.hexdigest()[:FINGERPRINT_HEX]

    def __repr__(self) -> str:
        return f"Fingerprinter(scope={self.scope!r})"


def load_fingerprinter(state_dir: Path, org_key: str | None) -> Fingerprinter:
    """The org key when configured (fleet-comparable), else this install's random key, created on first use."""
    if org_key:
        key = hmac.new(_ORG_KEY_CONTEXT, org_key.encode("utf-8"), hashlib.sha256).digest()
        return Fingerprinter(key, "organization")
    return Fingerprinter(_load_install_key(state_dir / KEY_FILE), "install")


def _load_install_key(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    except OSError as exc:
        raise StateError(f"cannot read fingerprint key {path}: {exc.strerror or exc}") from exc
    if len(key) == KEY_BYTES:
        return key
    if key:
        raise StateError(f"fingerprint key {path} is corrupt ({len(key)} bytes); remove it to start a new one")
    key = secrets.token_bytes(KEY_BYTES)
    try:
        # O_EXCL: if a concurrent first run created the key meanwhile, keep theirs.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        return _load_install_key(path)
    except OSError as exc:
        raise StateError(f"cannot create fingerprint key {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key

