"""The whole scan: walks the roots, scans each file with one Engine within the time budget, and counts.

Engine flow per file: detector.py; the block reader: blocks.py; the walk: walk.py.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.archives import ArchiveLimits
from secret_scanner.engine.detector import Engine, SkippedBinary, StoppedWith
from secret_scanner.engine.gate_cache import BlobStore
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.sources import SourceOutcome, SourceScanner
from secret_scanner.engine.walk import FileEntry, WalkReport, iter_files
from secret_scanner.model import Finding, ScanResult, ScanStats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanOptions:
    roots: tuple[Path, ...]
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = 50 * 1024 * 1024
    time_budget_seconds: float | None = None
    # "auto" (Hyperscan when it loads), "hyperscan" or "python"; None rules = the shipped catalog.
    engine: str = "auto"
    rules: tuple[Rule, ...] | None = None
    # Where the compiled Hyperscan database is kept between runs (the state directory); None: no cache.
    cache: BlobStore | None = None
    # Archives opened as streams within these limits (engine/archives.py); max_depth 0 leaves them unread.
    archives: ArchiveLimits = ArchiveLimits()  # noqa: RUF009 (frozen: one shared default is safe)


def scan(options: ScanOptions, fingerprinter: Fingerprinter,
         should_stop: Callable[[], bool] | None = None) -> ScanResult:
    """Scan every file under options.roots; stops early (complete=False) on the time budget or should_stop."""
    started = time.monotonic()
    if options.rules is None:
        from secret_scanner.catalog.loader import load_rules

        rules: tuple[Rule, ...] = load_rules()
    else:
        rules = options.rules
    engine = Engine(rules, fingerprinter, options.engine, options.cache)
    sources = SourceScanner(engine, fingerprinter, options.archives)
    deadline = started + options.time_budget_seconds if options.time_budget_seconds is not None else None
    stop_reason: list[str] = []
    scanned = 0

    def keep_going() -> bool:
        if stop_reason:
            return False
        if should_stop is not None and should_stop():
            stop_reason.append("stopped by signal")
        elif deadline is not None and time.monotonic() >= deadline:
            budget = options.time_budget_seconds
            stop_reason.append(f"time budget of {budget:g} s exhausted after {scanned} files")
        return not stop_reason

    walk = WalkReport()
    findings: list[Finding] = []
    skipped = 0
    read_errors = 0
    bytes_scanned = 0
    for entry in iter_files(options.roots, options.exclude, walk):
        if not keep_going():
            break
        if entry.size > options.max_file_bytes:
            skipped += 1
            continue
        # Archives and credential containers go through the source layer (engine/sources.py).
        outcome: _FileOutcome | SourceOutcome = (
            sources.scan_entry(entry.path, entry.size, keep_going) if sources.claims(entry.path)
            else _scan_entry(engine, entry, keep_going))
        if outcome.unreadable:
            read_errors += 1
        elif outcome.binary:
            skipped += 1
        else:
            findings.extend(outcome.findings)
            scanned += 1
            bytes_scanned += entry.size
            if outcome.stopped:
                break
    reasons = list(stop_reason)
    reasons.extend(f"cannot read root {root}" for root in walk.unreadable_roots)
    stats = ScanStats(
        roots=tuple(os.fspath(root) for root in options.roots),
        files_scanned=scanned,
        files_skipped=skipped + walk.skipped,
        bytes_scanned=bytes_scanned,
        read_errors=read_errors + walk.read_errors,
        duration_seconds=time.monotonic() - started,
        engine=engine.name,
        archives_scanned=sources.tally.archives,
        members_scanned=sources.tally.members,
        skip_reasons=sources.tally.reasons(),
    )
    return ScanResult(tuple(sorted(findings, key=Finding.sort_key)), stats, complete=not reasons,
                      incomplete_reasons=tuple(reasons))


@dataclass(frozen=True)
class _FileOutcome:
    findings: tuple[Finding, ...] = ()
    stopped: bool = False
    binary: bool = False
    unreadable: bool = False


def _scan_entry(engine: Engine, entry: FileEntry, keep_going: Callable[[], bool]) -> _FileOutcome:
    try:
        if entry.size == 0:
            return _FileOutcome()
        return _FileOutcome(tuple(engine.scan_file(entry.path, keep_going)))
    except SkippedBinary:
        return _FileOutcome(binary=True)
    except StoppedWith as stopped:
        return _FileOutcome(tuple(stopped.findings), stopped=True)
    except OSError as exc:
        log.debug("cannot read %s: %s", entry.path, exc.strerror or type(exc).__name__)
        return _FileOutcome(unreadable=True)
