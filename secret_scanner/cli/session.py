"""One scan run's wiring beyond the engine: the scan state, suppression, progress display and the lifecycle.

cli/scanner.py calls these so that its own flow stays readable: the engine gets its ports (file memory,
progress, ignore patterns) here, and the result gets the fleet's and the baseline's suppression here.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO, cast

from secret_scanner.config import Config
from secret_scanner.engine import scan as engine
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.ports import Progress, ProgressSink
from secret_scanner.engine.scan import ScanOptions
from secret_scanner.engine.suppression import PathIgnorer, apply_fingerprints
from secret_scanner.jobmode.progress import JobProgress
from secret_scanner.model import ScanResult
from secret_scanner.state.keys import derive_state_key
from secret_scanner.state.scanstate import ScanState, digest_rules, digest_shipped_catalog, state_context

if TYPE_CHECKING:  # the rest is imported where it is used: a quiet rescan stays light
    from secret_scanner.jobmode.lifecycle import Lifecycle

# Identifies the fingerprint key inside the state context without revealing it: a keyed hash of a constant.
_KEY_PROBE = "secret-scanner/scan-state/key-probe"


class _NoProgress:
    def update(self, progress: Progress) -> None:
        return None


class ProgressScope:
    """A progress sink with a lifetime: the terminal display starts and stops with the scan."""

    def __init__(self, sink: ProgressSink, start: Callable[[], None] | None = None,
                 stop: Callable[[], None] | None = None) -> None:
        self.sink = sink
        self._start, self._stop = start, stop

    def __enter__(self) -> ProgressScope:
        if self._start is not None:
            self._start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._stop is not None:
            self._stop()


class JobProgressScope(ProgressScope):
    def __init__(self) -> None:
        self.job = JobProgress()
        super().__init__(self.job)


PROGRESS_ENV = "SECRET_SCANNER_PROGRESS_SECONDS"


def job_progress() -> JobProgressScope:
    """Progress events every 30 s, or every $SECRET_SCANNER_PROGRESS_SECONDS (bounded to 0.05 s .. 1 h)."""
    scope = JobProgressScope()
    try:
        seconds = float(os.environ.get(PROGRESS_ENV, "") or scope.job.interval_seconds)
    except ValueError:
        seconds = scope.job.interval_seconds
    scope.job.interval_seconds = min(max(seconds, 0.05), 3600.0)
    return scope


def terminal_progress(quiet: bool) -> ProgressScope:
    """A live line on stderr only when stderr is a terminal; nothing on a pipe or with --quiet."""
    if quiet:
        return ProgressScope(_NoProgress())
    from secret_scanner.cli.progress import LiveProgress, wants_live_display

    if not wants_live_display(sys.stderr):
        return ProgressScope(_NoProgress())
    live = LiveProgress()
    return ProgressScope(live, live.start, live.stop)


def scan_remembering(options: ScanOptions, fingerprinter: Fingerprinter, should_stop: Callable[[], bool],
                     state_dir: Path, full: bool, config: Config, progress: object) -> ScanResult:
    """The scan with its scan state (an unchanged file is not read again; --full rebuilds), ignore patterns
    and progress port; the state is saved after the scan, complete or not."""
    catalog = digest_rules(options.rules) if options.rules is not None else digest_shipped_catalog()
    context = state_context(catalog, fingerprinter.fingerprint(_KEY_PROBE), (options.max_file_bytes,))
    memory = ScanState(state_dir, derive_state_key(state_dir), context, full=full)
    sink = cast("ProgressSink | None", progress)
    wired = dataclasses.replace(options, memory=memory, ignore=PathIgnorer(config.exclude), progress=sink)
    result = engine.scan(wired, fingerprinter, should_stop=should_stop)
    memory.save(result.complete)
    return result


def suppress(result: ScanResult, accepted: Iterable[str], baseline: Iterable[str]) -> ScanResult:
    active, suppressed = apply_fingerprints(result.findings, accepted, baseline)
    if not suppressed:
        return result
    return dataclasses.replace(result, findings=tuple(active), suppressed=result.suppressed + tuple(suppressed))


def load_baseline(path: Path | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    from secret_scanner.output.baseline import read_baseline_fingerprints

    return read_baseline_fingerprints(path)


def lifecycle(state_dir: Path, resend_active_hours: float) -> Lifecycle:
    from secret_scanner.jobmode.lifecycle import Lifecycle
    from secret_scanner.state.blobs import AuthenticatedBlobStore

    return Lifecycle(AuthenticatedBlobStore(state_dir, derive_state_key(state_dir)), resend_active_hours)


def print_human(result: ScanResult, stream: TextIO, summary_only: bool) -> None:
    """The summary line (job mode, --quiet) or the findings table: coloured and fitted on a terminal."""
    from secret_scanner.output import text

    if summary_only:
        stream.write(text.summarize(result) + "\n")
    elif stream.isatty():
        from secret_scanner.cli.progress import print_findings

        print_findings(result, stream)
    else:
        stream.write(text.render_text(result))
    stream.flush()
