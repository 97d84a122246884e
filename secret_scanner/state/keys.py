"""The keys kept in the state directory: the per-install fingerprint key, and keys derived from it.

The install key is 32 random bytes, created on first use, owner-only. A key file that is empty (a first run
that met a full disk), of the wrong size, or untrusted (a link, another owner, group-writable) is never used:
it is quarantined and a new key is made, with a warning, because fingerprints from a planted key would let
whoever planted it recognise our findings.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.errors import StateError
from secret_scanner.state.files import UntrustedFileError, quarantine, read_private_file, write_private_file

log = logging.getLogger(__name__)

KEY_FILE = "fingerprint.key"
KEY_BYTES = 32
_ORG_KEY_CONTEXT = b"secret-scanner/org-fingerprint/v1"
_CACHE_KEY_CONTEXT = b"secret-scanner/state-authentication/v1"


def load_fingerprinter(state_dir: Path, org_key: str | None) -> Fingerprinter:
    """The org key when configured (fleet-comparable), else this install's random key, created on first use."""
    if org_key:
        key = hmac.new(_ORG_KEY_CONTEXT, org_key.encode("utf-8"), hashlib.sha256).digest()
        return Fingerprinter(key, "organization")
    return Fingerprinter(load_install_key(state_dir), "install")


def derive_state_key(state_dir: Path) -> bytes:
    """A key that authenticates what this install writes to its state directory (caches, scan state)."""
    return hmac.new(load_install_key(state_dir), _CACHE_KEY_CONTEXT, hashlib.sha256).digest()


def load_install_key(state_dir: Path) -> bytes:
    path = state_dir / KEY_FILE
    try:
        key = read_private_file(path, max_bytes=4096)
    except UntrustedFileError as exc:
        quarantine(state_dir, path, f"{exc}; a new fingerprint key is made (fingerprints change)")
        key = None
    except OSError as exc:
        raise StateError(f"cannot read fingerprint key {path}: {exc.strerror or exc}") from exc
    if key is not None and len(key) == KEY_BYTES:
        return key
    if key is not None:
        quarantine(state_dir, path, f"fingerprint key {path} is corrupt ({len(key)} bytes); a new one is made")
    key = secrets.token_bytes(KEY_BYTES)
    write_private_file(path, key)
    return key
