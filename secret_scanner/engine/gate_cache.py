"""The compiled Hyperscan database kept between runs: compiling every rule costs ~2 s a run, loading ~0.1 s.

The engine does no file I/O of its own: the caller hands in a BlobStore (state/blobs.py keeps blobs in the
state directory under an HMAC of the install key, so a planted database that matches nothing is rejected).
The blob's name and its header both carry a digest of the rule set, the Hyperscan version and the machine:
a database built from other rules is never loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from secret_scanner.catalog.rule import Rule

log = logging.getLogger(__name__)

NAME_PREFIX = "hyperscan-"


class BlobStore(Protocol):
    """Named blobs that only this install can have written; read returns None for a missing or bad blob."""

    def read(self, name: str) -> bytes | None: ...

    def write(self, name: str, data: bytes) -> None: ...

    def prune(self, prefix: str, keep: str) -> None: ...


@dataclass(frozen=True)
class CachedDatabase:
    database: Any
    modes: dict[str, str]


def locate(rules: Sequence[Rule], hyperscan: Any) -> tuple[str, str]:
    """(blob name, full digest) of the database for these rules on this Hyperscan and machine."""
    digest = hashlib.sha256(f"v1|{getattr(hyperscan, '__version__', '?')}|{platform.machine()}".encode())
    for rule in rules:
        digest.update(b"\0".join((rule.id.encode(), rule.gate, b"%d%d" % (rule.ignore_case, rule.multiline),
                                  *rule.keyword_bytes)) + b"\1")
    key = digest.hexdigest()
    return f"{NAME_PREFIX}{key[:24]}.db", key


def load_cached(rules: Sequence[Rule], hyperscan: Any, store: BlobStore) -> CachedDatabase | None:
    name, key = locate(rules, hyperscan)
    blob = store.read(name)
    if blob is None:
        return None
    try:
        header, _, body = blob.partition(b"\n")
        meta = json.loads(header)
        modes = meta.get("modes") if isinstance(meta, dict) else None
        if meta.get("key") != key or not isinstance(modes, dict) or set(modes) != {r.id for r in rules}:
            return None
        database = hyperscan.loadb(body, hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)
    except (ValueError, AttributeError, hyperscan.error) as exc:
        log.debug("Hyperscan cache %s unusable (%s); compiling", name, type(exc).__name__)
        return None
    return CachedDatabase(database, {str(k): str(v) for k, v in modes.items()})


def store_cached(database: Any, modes: dict[str, str], rules: Sequence[Rule], hyperscan: Any,
                 store: BlobStore) -> None:
    name, key = locate(rules, hyperscan)
    header = json.dumps({"key": key, "modes": modes}).encode()
    try:
        store.write(name, header + b"\n" + hyperscan.dumpb(database))
        store.prune(NAME_PREFIX, keep=name)  # databases of earlier rule sets or versions
    except OSError as exc:
        log.debug("cannot write Hyperscan cache %s: %s", name, type(exc).__name__)
