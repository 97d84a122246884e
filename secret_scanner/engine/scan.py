"""The whole scan: walks the roots, scans each file with one Engine within the time budget, and counts.

Engine flow per file: detector.py; the block reader: blocks.py; the walk: walk.py.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.archives import ArchiveLimits, Skip
from secret_scanner.engine.bounded import TruncatedWith
from secret_scanner.engine.faults import MAX_LISTED_FAULTS, FaultedWith, fault_of
from secret_scanner.engine.gate_cache import BlobStore
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.names import NameMasker, mask_result_names, masked_findings
from secret_scanner.engine.outcome import FileOutcome
from secret_scanner.engine.ports import FileMemory, Progress, ProgressSink
from secret_scanner.engine.walk import LONG_PATH_REASON, FileEntry, RootIgnorer, WalkReport, iter_files
from secret_scanner.model import Confidence, FileProblem, Finding, ScanResult, ScanStats, Severity, meets_threshold
from secret_scanner.names import show_name

if TYPE_CHECKING:  # imported when the first file is read: a rescan with nothing changed never needs them
    from secret_scanner.engine.detector import Engine
    from secret_scanner.engine.sources import SourceScanner

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


class StampMemory(Protocol):
    """What a FileMemory may also keep (the scan state does): unchanged corrupt archives and masked names."""

    def recalled_unreadable(self) -> tuple[tuple[str, int], ...] | None:
        """The skip reasons of the entry last recalled, when it was remembered as an unreadable archive."""

    def remember_unreadable(self, entry: FileEntry, reasons: tuple[tuple[str, int], ...]) -> None:
        """A corrupt archive: counted as unreadable again while unchanged, without being re-read."""

    def masked_name(self, name: str) -> str | None:
        """`name` as masked by an earlier run with the same rules, or None."""

    def remember_masked_name(self, name: str, masked: str) -> None: ...

    def engine_name(self) -> str | None:
        """The engine that read the files last run (a rescan that reads none names it)."""

    def remember_engine_name(self, name: str) -> None: ...


def scan(options: ScanOptions, fingerprinter: Fingerprinter,
         should_stop: Callable[[], bool] | None = None) -> ScanResult:
    """Scan every file under options.roots; stops early (complete=False) on the time budget or should_stop."""
    started = time.monotonic()
    # Built on the first file that must be read: a rescan with nothing changed never compiles a rule.
    engines: list[Engine] = []

    def engine_now() -> Engine:
        if not engines:
            from secret_scanner.engine.detector import Engine

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
            from secret_scanner.engine.sources import SourceScanner

            source_layer.append(SourceScanner(engine_now(), fingerprinter, options.archives))
        return source_layer[0]

    source_layer: list[SourceScanner] = []
    maskers: list[NameMasker] = []

    def masker_now() -> NameMasker:
        if not maskers:
            maskers.append(NameMasker(engine_now(), stamps))
        return maskers[0]

    # The scan state also keeps masked names and corrupt archives; a plain FileMemory does not.
    stamps = cast("StampMemory", options.memory) if hasattr(options.memory, "remember_unreadable") else None
    recalled_skips: Counter[str] = Counter()
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
        elif stamps is not None and (corrupt := stamps.recalled_unreadable()) is not None:
            # An unchanged corrupt archive: unreadable as before, without reading it again.
            read_errors += 1
            for reason, count in corrupt:
                recalled_skips[reason] += count
        else:
            from secret_scanner.engine.sources import is_claimed

            before = source_layer[0].tally.reasons() if source_layer else ()
            # Archives and credential containers go through the source layer (engine/sources.py).
            outcome: FileOutcome = (
                sources_now().scan_entry(entry.path, entry.size, keep_going)
                if is_claimed(entry.path, options.archives)
                else _scan_entry(engine_now(), entry, keep_going, options.max_file_bytes))
            if outcome.problem is not None:
                problems.append(outcome.problem)
            # Masked now, so that the scan state keeps masked names and a recalled finding needs no engine.
            found = masked_findings(masker_now(), outcome.findings) if outcome.findings else ()
            if outcome.unreadable:
                read_errors += 1
            elif outcome.binary:
                skipped += 1
            else:
                findings.extend(found)
                scanned += 1
                bytes_scanned += entry.size
            # A file that failed or was cut short is read again next run, not remembered half-scanned.
            if memory is not None and not (outcome.unreadable or outcome.stopped or outcome.problem):
                memory.remember(entry, found)
            elif stamps is not None and outcome.unreadable and not (outcome.stopped or outcome.problem):
                added = _corrupt_only(before, source_layer[0].tally.reasons() if source_layer else ())
                if added:
                    stamps.remember_unreadable(entry, added)
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
    # Names are masked with the rules themselves: a secret in a file or folder name is never echoed. Findings
    # were masked as they were found; the other names are masked here, through the scan state's memo.
    masked = mask_result_names(maskers[0] if maskers else NameMasker(engine_now, stamps), (), problems, reasons,
                               [os.fspath(root) for root in options.roots])
    stats = ScanStats(
        roots=masked.roots,
        files_scanned=scanned,
        files_skipped=skipped + walk.skipped,
        bytes_scanned=bytes_scanned,
        read_errors=read_errors + walk.read_errors,
        duration_seconds=time.monotonic() - started,
        engine=_engine_name(engines, stamps, options.engine),
        below_threshold=len(findings) - len(reported),
        files_unchanged=unchanged,
        paths_ignored=walk.ignored,
        file_errors=sum(1 for p in problems if p.kind == "error"),
        files_truncated=sum(1 for p in problems if p.kind == "truncated"),
        archives_scanned=source_layer[0].tally.archives if source_layer else 0,
        members_scanned=source_layer[0].tally.members if source_layer else 0,
        skip_reasons=tuple(sorted(((source_layer[0].tally.skips if source_layer else Counter()) + recalled_skips
                                    ).items())),
    )
    ordered = sorted(reported, key=Finding.sort_key)
    return ScanResult(tuple(f for f in ordered if not f.suppressed), stats, complete=not reasons,
                      incomplete_reasons=masked.reasons, problems=masked.problems[:MAX_LISTED_FAULTS],
                      suppressed=tuple(f for f in ordered if f.suppressed))


def _scan_entry(engine: Engine, entry: FileEntry, keep_going: Callable[[], bool], max_bytes: int | None = None
                ) -> FileOutcome:
    from secret_scanner.engine.detector import SkippedBinary, StoppedWith

    try:
        if entry.size == 0:
            return FileOutcome()
        return FileOutcome(tuple(engine.scan_file(entry.path, keep_going, max_bytes)))
    except SkippedBinary:
        return FileOutcome(binary=True)
    except StoppedWith as stopped:
        return FileOutcome(tuple(stopped.findings), stopped=True)
    except TruncatedWith as cut:
        detail = f"grew past {max_bytes} bytes while read; scanned up to that size"
        return FileOutcome(_only_findings(cut.findings), problem=FileProblem(entry.path, "truncated", detail))
    except FaultedWith as faulted:
        detail = "; ".join(sorted({fault.describe() for fault in faulted.faults}))
        return FileOutcome(_only_findings(faulted.findings), problem=FileProblem(entry.path, "error", detail))
    except OSError as exc:
        log.debug("cannot read %s: %s", show_name(entry.path), exc.strerror or type(exc).__name__)
        if exc.errno == errno.ENAMETOOLONG:
            return FileOutcome(unreadable=True, problem=FileProblem(entry.path, "skipped", LONG_PATH_REASON))
        return FileOutcome(unreadable=True)
    except Exception as exc:
        fault = fault_of(exc)
        return FileOutcome(unreadable=True, problem=FileProblem(entry.path, "error", fault.describe()))


def _only_findings(items: list[object]) -> tuple[Finding, ...]:
    return tuple(item for item in items if isinstance(item, Finding))


def _corrupt_only(before: tuple[tuple[str, int], ...], after: tuple[tuple[str, int], ...]
                  ) -> tuple[tuple[str, int], ...]:
    """The skip reasons one file added, when all of them say it is a corrupt archive (worth remembering);
    an I/O error or a fault is tried again next run."""
    old = dict(before)
    added = tuple((reason, count - old.get(reason, 0)) for reason, count in after if count != old.get(reason, 0))
    return added if added and all(reason == Skip.CORRUPT.value for reason, _ in added) else ()


def _engine_name(engines: list[Engine], stamps: StampMemory | None, wanted: str) -> str:
    if engines:
        if stamps is not None:
            stamps.remember_engine_name(engines[0].name)
        return engines[0].name
    if wanted != "auto":
        return wanted
    # No file was read: the engine that read them last run (the scan state remembers it).
    remembered = stamps.engine_name() if stamps is not None else None
    return remembered or wanted


def __getattr__(name: str) -> object:
    # `from secret_scanner.engine.scan import Engine` keeps working although the import is now lazy.
    if name == "Engine":
        from secret_scanner.engine.detector import Engine

        return Engine
    raise AttributeError(name)
