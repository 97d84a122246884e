"""The scan state: what each file held when it was last read, so that an unchanged file is not read again.

One file, `scan-state`, in the state directory: `HMAC-SHA256(state key, name + body) || body`, the body zlib
JSON {format, version, context, engine, names, files: {path: [size, mtime_ns, ctime_ns, inode, device, F]}}
where F is [finding, ...] or, for a corrupt archive, {"unreadable": [[skip reason, count], ...]} (counted as
unreadable again while unchanged, not re-read). A finding is kept as rule, place, fingerprint, redacted preview
and its masked name, never a raw value; `names` maps echoed names (roots, problems; by keyed hash) to their masked form.
`context` digests the scanner version, the rule catalog, the fingerprint key and the options that shape
findings: any change invalidates every record. The file is authenticated because a planted state that lists a
leaking file as "unchanged, no findings" would hide it; damaged, foreign, truncated or future-version state is
discarded with a warning and the run scans everything. Written atomically (temp file, fsync, rename),
owner-only, bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import zlib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from secret_scanner import __version__
from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.walk import FileEntry
from secret_scanner.errors import StateError
from secret_scanner.model import Finding
from secret_scanner.state.files import UntrustedFileError, quarantine, read_private_file, write_private_file
from secret_scanner.state.filestamp import stamp_of

log = logging.getLogger(__name__)

STATE_FILE = "scan-state"
STATE_FORMAT = "secret-scanner/scan-state"
STATE_VERSION = 2
MAX_STATE_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 512 * 1024 * 1024
MAX_FILES = 2_000_000
# A file with more findings than this is simply read again next time: the state stays small.
MAX_FINDINGS_PER_FILE = 200
MAX_NAMES = 10_000
_MAX_REASONS = 8
_TAG_BYTES = 32

Record = list[Any]


def state_context(catalog_digest: str, key_id: str, options: Sequence[object]) -> str:
    """The digest that must match for a state to be used: version, catalog, fingerprint key, options."""
    digest = hashlib.sha256(f"{STATE_FORMAT}/{STATE_VERSION}/{__version__}/{key_id}/{catalog_digest}".encode())
    digest.update(repr(tuple(options)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def digest_rules(rules: Iterable[Rule]) -> str:
    """A catalog digest from compiled rules (tests and callers that pass their own rules)."""
    digest = hashlib.sha256()
    for rule in rules:
        digest.update(repr(rule).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def digest_shipped_catalog() -> str:
    """A digest of the shipped rule files' bytes: cheap, so a rescan need not compile the catalog."""
    source = resources.files("secret_scanner") / "rules"
    digest = hashlib.sha256()
    for file in sorted((f for f in source.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


class ScanState:
    """The scan loop's FileMemory, loaded from and saved to the state directory."""

    def __init__(self, state_dir: Path, key: bytes, context: str, full: bool = False) -> None:
        self.path = state_dir / STATE_FILE
        self._state_dir = state_dir
        self._key = key
        self._context = context
        self._next: dict[str, Record] = {}
        self._stamp: tuple[str, tuple[int, ...]] = ("", ())
        self._unreadable: tuple[tuple[str, int], ...] | None = None
        self._names: dict[str, str] = {}
        self._engine = ""
        # Nothing to write when every file was recalled and no name or engine is new (a quiet rescan).
        self._changed = False
        self._remove_stale_temp()
        self._previous: dict[str, Record] = {} if full else self._load()
        self.loaded = len(self._previous)

    # -- the FileMemory port ------------------------------------------------------------------------------

    def recall(self, entry: FileEntry) -> Sequence[Finding] | None:
        # The stamp is taken before the file is read: a change during the read shows up next run.
        stamp = self._stamp = (entry.path, stamp_of(entry))
        self._unreadable = None
        record = self._previous.get(entry.path)
        if type(record) is not list or len(record) != 6 or record[:5] != list(stamp[1]):
            return None
        if type(record[5]) is dict:
            self._unreadable = _reasons(record[5].get("unreadable"))
            if self._unreadable is not None:
                self._next[entry.path] = record
            return None
        findings = self._rebuild(entry.path, record[5])
        if findings is not None:
            self._next[entry.path] = record
        return findings

    def remember(self, entry: FileEntry, findings: Sequence[Finding]) -> None:
        stamp = self._stamp[1] if self._stamp[0] == entry.path else stamp_of(entry)
        self._changed = True
        if len(findings) > MAX_FINDINGS_PER_FILE or len(self._next) >= MAX_FILES or -1 in stamp:
            self._next.pop(entry.path, None)
            return
        self._next[entry.path] = [*stamp, [_pack(f, entry.path) for f in findings]]

    # -- what scan.py's StampMemory adds --------------------------------------------------------------------

    def recalled_unreadable(self) -> tuple[tuple[str, int], ...] | None:
        return self._unreadable

    def remember_unreadable(self, entry: FileEntry, reasons: tuple[tuple[str, int], ...]) -> None:
        stamp = self._stamp[1] if self._stamp[0] == entry.path else stamp_of(entry)
        self._changed = True
        if len(self._next) >= MAX_FILES or -1 in stamp or _reasons(reasons) is None:
            self._next.pop(entry.path, None)
            return
        self._next[entry.path] = [*stamp, {"unreadable": [list(pair) for pair in reasons]}]

    def masked_name(self, name: str) -> str | None:
        return self._names.get(self._name_key(name))

    def remember_masked_name(self, name: str, masked: str) -> None:
        if len(self._names) < MAX_NAMES:
            self._names[self._name_key(name)] = masked
            self._changed = True

    def _name_key(self, name: str) -> str:
        # Keyed by a keyed hash, not the name: the memo adds no copy of a name that may hold a secret.
        data = name.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, b"name\0" + data, hashlib.sha256).hexdigest()[:32]

    def engine_name(self) -> str | None:
        return self._engine or None

    def remember_engine_name(self, name: str) -> None:
        if name != self._engine:
            self._engine = name
            self._changed = True

    # -- persistence --------------------------------------------------------------------------------------

    def save(self, complete: bool) -> bool:
        """Write the state; an incomplete run keeps the records of files it did not reach. Never raises."""
        if complete and not self._changed and len(self._next) == len(self._previous) and self.path.exists():
            return True  # every record was recalled as it was: the file on disk already says all of it
        files = dict(self._next)
        if not complete:
            for path, record in self._previous.items():
                files.setdefault(path, record)
        document = {"format": STATE_FORMAT, "version": STATE_VERSION, "context": self._context,
                    "engine": self._engine, "names": self._names, "files": files}
        body = zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8", "surrogatepass"), 1)
        if len(body) + _TAG_BYTES > MAX_STATE_BYTES:
            log.warning("scan state not saved: %d files exceed the %d-byte bound; the next run reads every file",
                        len(files), MAX_STATE_BYTES)
            return False
        try:
            write_private_file(self.path, self._tag(body) + body)
        except StateError as exc:
            log.warning("scan state not saved (%s); the next run reads every file", exc)
            return False
        return True

    def _load(self) -> dict[str, Record]:
        try:
            blob = read_private_file(self.path, MAX_STATE_BYTES)
        except UntrustedFileError as exc:
            quarantine(self._state_dir, self.path, f"{exc}; scan state discarded, full scan")
            return {}
        except OSError as exc:
            log.warning("cannot read scan state %s (%s); full scan", self.path, exc.strerror or exc)
            return {}
        if blob is None:
            return {}
        tag, body = blob[:_TAG_BYTES], blob[_TAG_BYTES:]
        if len(tag) != _TAG_BYTES or not hmac.compare_digest(tag, self._tag(body)):
            quarantine(self._state_dir, self.path,
                       f"scan state {self.path} is damaged or was not written by this install; full scan")
            return {}
        try:
            document = _decode(body)
        except ValueError as exc:
            quarantine(self._state_dir, self.path, f"scan state {self.path} is unusable ({exc}); full scan")
            return {}
        if document.get("context") != self._context:
            log.info("scan state was made by another version, rule catalog, key or options: full scan")
            return {}
        names, engine = document.get("names"), document.get("engine")
        if isinstance(names, dict) and len(names) <= MAX_NAMES and all(
                type(k) is str and type(v) is str for k, v in names.items()):
            self._names = names
        if type(engine) is str and len(engine) <= 40:
            self._engine = engine
        return document["files"]  # type: ignore[no-any-return]  # each record is checked when recalled

    def _rebuild(self, path: str, packed: object) -> list[Finding] | None:
        findings: list[Finding] = []
        try:
            for rule_id, title, severity, confidence, line, column, fingerprint, redacted, length, description, \
                    suppressed, note, name in packed:  # type: ignore[attr-defined]
                if type(name) is not str:
                    return None
                findings.append(Finding(rule_id=rule_id, title=title, severity=severity, confidence=confidence,
                                        path=name or path, line=line, column=column, fingerprint=fingerprint,
                                        redacted=redacted, length=length, description=description,
                                        suppressed=suppressed, note=note))
        except (TypeError, ValueError):
            return None
        return findings

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._key, STATE_FILE.encode() + b"\0" + body, hashlib.sha256).digest()

    def _remove_stale_temp(self) -> None:
        # The run lock guarantees no other writer: a temp file is what a run killed while saving left.
        for stale in self._state_dir.glob(f".{STATE_FILE}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


def _pack(finding: Finding, path: str) -> list[Any]:
    # The name as masked when found ("" when it is the file's own, unmasked): a recall needs no engine.
    return [finding.rule_id, finding.title, str(finding.severity), str(finding.confidence), finding.line,
            finding.column, finding.fingerprint, finding.redacted, finding.length, finding.description,
            finding.suppressed, finding.note, "" if finding.path == path else finding.path]


def _reasons(value: object) -> tuple[tuple[str, int], ...] | None:
    """Skip reasons as kept for a corrupt archive, or None when they are not that shape."""
    if not isinstance(value, (list, tuple)) or not 0 < len(value) <= _MAX_REASONS:
        return None
    pairs = []
    for pair in value:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or type(pair[0]) is not str \
                or type(pair[1]) is not int or not 0 < pair[1] < 1_000_000 or len(pair[0]) > 80:
            return None
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _decode(body: bytes) -> dict[str, Any]:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(body, MAX_BODY_BYTES)
    except zlib.error as exc:
        raise ValueError("not compressed state") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("truncated or too large")
    try:
        document = json.loads(text.decode("utf-8", "surrogatepass"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("not JSON") from exc
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise ValueError("not a scan state")
    if document.get("version") != STATE_VERSION:
        raise ValueError(f"format version {document.get('version')!r}, this scanner reads {STATE_VERSION}")
    if not isinstance(document.get("files"), dict) or len(document["files"]) > MAX_FILES:
        raise ValueError("no usable file table")
    return document
