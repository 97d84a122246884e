"""The whole scan: walks the roots, scans each file with one Engine within the time budget, and counts.

Engine flow per file: detector.py; the block reader: blocks.py; the walk: walk.py.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.archives import ArchiveLimits
from secret_scanner.engine.bounded import TruncatedWith
from secret_scanner.engine.detector import Engine, SkippedBinary, StoppedWith
from secret_scanner.engine.faults import MAX_LISTED_FAULTS, FaultedWith, fault_of
from secret_scanner.engine.gate_cache import BlobStore
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.names import NameMasker, mask_result_names
from secret_scanner.engine.ports import FileMemory, Progress, ProgressSink
from secret_scanner.engine.sources import SourceOutcome, SourceScanner, is_claimed
from secret_scanner.engine.walk import LONG_PATH_REASON, FileEntry, RootIgnorer, WalkReport, iter_files
from secret_scanner.model import Confidence, FileProblem, Finding, ScanResult, ScanStats, Severity, meets_threshold
from secret_scanner.names import show_name

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
    # What is reported: findings under either floor are only counted in stats.below_threshold. The library
    # reports everything; the CLI and the fleet config default to model.DEFAULT_MIN_CONFIDENCE.
    min_confidence: Confidence = Confidence.LOW
    min_severity: Severity = Severity.LOW
    # gitignore-style patterns per root, the scan state, and where progress goes.
    ignore: RootIgnorer | None = None
    memory: FileMemory | None = None
    progress: ProgressSink | None = None
    # Archives opened as streams within these limits (engine/archives.py); max_depth 0 leaves them unread.
    archives: ArchiveLimits = ArchiveLimits()  # noqa: RUF009 (frozen: one shared default is safe)


def scan(options: ScanOptions, fingerprinter: Fingerprinter,
         should_stop: Callable[[], bool] | None = None) -> ScanResult:
    """Scan every file under options.roots; stops early (complete=False) on the time budget or should_stop."""
    started = time.monotonic()
    # Built on the first file that must be read: a rescan with nothing changed never compiles a rule.
    engines: list[Engine] = []

    def engine_now() -> Engine:
        if not engines:
            if options.rules is None:
                from secret_scanner.catalog.loader import load_rules

                rules: tuple[Rule, ...] = load_rules()
            else:
                rules = options.rules
            engines.append(Engine(rules, fingerprinter, options.engine, options.cache, keep_samples=True))
        return engines[0]

    if options.memory is None:
        engine_now()

    def sources_now() -> SourceScanner:
        if not source_layer:
            source_layer.append(SourceScanner(engine_now(), fingerprinter, options.archives))
        return source_layer[0]

    source_layer: list[SourceScanner] = []
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
    problems: list[FileProblem] = []
    skipped = 0
    read_errors = 0
    bytes_scanned = 0
    unchanged = 0
    memory, progress = options.memory, options.progress
    for entry in iter_files(options.roots, options.exclude, walk, options.ignore):
        if not keep_going():
            break
        if entry.size > options.max_file_bytes:
            skipped += 1
            continue
        recalled = memory.recall(entry) if memory is not None else None
        if recalled is not None:
            findings.extend(recalled)
            unchanged += 1
        else:
            # Archives and credential containers go through the source layer (engine/sources.py).
            outcome: _FileOutcome | SourceOutcome = (
                sources_now().scan_entry(entry.path, entry.size, keep_going)
                if is_claimed(entry.path, options.archives)
                else _scan_entry(engine_now(), entry, keep_going, options.max_file_bytes))
            if outcome.problem is not None:
                problems.append(outcome.problem)
            if outcome.unreadable:
                read_errors += 1
            elif outcome.binary:
                skipped += 1
            else:
                findings.extend(outcome.findings)
                scanned += 1
                bytes_scanned += entry.size
            # A file that failed or was cut short is read again next run, not remembered half-scanned.
            if memory is not None and not (outcome.unreadable or outcome.stopped or outcome.problem):
                memory.remember(entry, outcome.findings)
            if outcome.stopped:
                break
        if progress is not None:
            progress.update(Progress(scanned + unchanged, bytes_scanned, len(findings),
                                     time.monotonic() - started, entry.path))
    problems.extend(FileProblem(path, "skipped", reason) for path, reason in walk.problems)
    reasons = list(stop_reason)
    reasons.extend(f"cannot read root {root}" for root in walk.unreadable_roots)
    too_long = sum(1 for p in problems if p.detail == LONG_PATH_REASON)
    if too_long:
        reasons.append(f"{too_long} path(s) longer than the operating system allows were not scanned")
    if scanned + unchanged == 0 and not stop_reason:
        # Nothing was read: every root was missing, unreadable, skipped or empty. That is not "clean".
        reasons.append("no file was read")
    reported = [f for f in findings if meets_threshold(f, options.min_confidence, options.min_severity)]
    # Names are masked with the rules themselves: a secret in a file or folder name is never echoed.
    masked = mask_result_names(NameMasker(engine_now()), reported, problems, reasons,
                               [os.fspath(root) for root in options.roots])
    stats = ScanStats(
        roots=masked.roots,
        files_scanned=scanned,
        files_skipped=skipped + walk.skipped,
        bytes_scanned=bytes_scanned,
        read_errors=read_errors + walk.read_errors,
        duration_seconds=time.monotonic() - started,
        engine=engines[0].name,
        below_threshold=len(findings) - len(reported),
        files_unchanged=unchanged,
        paths_ignored=walk.ignored,
        file_errors=sum(1 for p in problems if p.kind == "error"),
        files_truncated=sum(1 for p in problems if p.kind == "truncated"),
        archives_scanned=source_layer[0].tally.archives if source_layer else 0,
        members_scanned=source_layer[0].tally.members if source_layer else 0,
        skip_reasons=source_layer[0].tally.reasons() if source_layer else (),
    )
    ordered = sorted(masked.findings, key=Finding.sort_key)
    return ScanResult(tuple(f for f in ordered if not f.suppressed), stats, complete=not reasons,
                      incomplete_reasons=masked.reasons, problems=masked.problems[:MAX_LISTED_FAULTS],
                      suppressed=tuple(f for f in ordered if f.suppressed))


@dataclass(frozen=True)
class _FileOutcome:
    findings: tuple[Finding, ...] = ()
    stopped: bool = False
    binary: bool = False
    unreadable: bool = False
    problem: FileProblem | None = None


def _scan_entry(engine: Engine, entry: FileEntry, keep_going: Callable[[], bool], max_bytes: int | None = None
                ) -> _FileOutcome:
    try:
        if entry.size == 0:
            return _FileOutcome()
        return _FileOutcome(tuple(engine.scan_file(entry.path, keep_going, max_bytes)))
    except SkippedBinary:
        return _FileOutcome(binary=True)
    except StoppedWith as stopped:
        return _FileOutcome(tuple(stopped.findings), stopped=True)
    except TruncatedWith as cut:
        detail = f"grew past {max_bytes} bytes while read; scanned up to that size"
        return _FileOutcome(_only_findings(cut.findings), problem=FileProblem(entry.path, "truncated", detail))
    except FaultedWith as faulted:
        detail = "; ".join(sorted({fault.describe() for fault in faulted.faults}))
        return _FileOutcome(_only_findings(faulted.findings), problem=FileProblem(entry.path, "error", detail))
    except OSError as exc:
        log.debug("cannot read %s: %s", show_name(entry.path), exc.strerror or type(exc).__name__)
        if exc.errno == errno.ENAMETOOLONG:
            return _FileOutcome(unreadable=True, problem=FileProblem(entry.path, "skipped", LONG_PATH_REASON))
        return _FileOutcome(unreadable=True)
    except Exception as exc:
        fault = fault_of(exc)
        return _FileOutcome(unreadable=True, problem=FileProblem(entry.path, "error", fault.describe()))


def _only_findings(items: list[object]) -> tuple[Finding, ...]:
    return tuple(item for item in items if isinstance(item, Finding))
