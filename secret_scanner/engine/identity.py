"""Redaction and identity of secrets, in one place: the preview shown to people and the keyed fingerprint."""

from __future__ import annotations

import hashlib
import hmac

from secret_scanner.errors import StateError

FINGERPRINT_HEX = 32


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
