"""The terminal: a live progress line on stderr while a scan runs, and the findings table sized to the window.

The progress line exists only when stderr is a terminal and the run is by hand (never on a pipe, never in job
mode); it is transient, so nothing of it stays in the scrollback. Colour follows rich, which honours NO_COLOR
(and FORCE_COLOR / TERM=dumb). The table folds long paths so that it fits the terminal's width.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from secret_scanner.engine.ports import Progress
from secret_scanner.model import ScanResult, Severity
from secret_scanner.output.text import summarize

_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def wants_live_display(stream: TextIO) -> bool:
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class LiveProgress:
    """A ProgressSink that redraws one status line at most a few times a second (rich does the pacing)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._console = Console(file=stream or sys.stderr, stderr=stream is None)
        self._text = Text("starting…")
        self._live = Live(self._text, console=self._console, transient=True, refresh_per_second=4)

    def start(self) -> None:
        self._live.start()

    def stop(self) -> None:
        self._live.stop()

    def update(self, progress: Progress) -> None:
        megabytes = progress.bytes / 1_000_000
        width = max(20, self._console.width - 60)
        where = _fold(progress.current_path, width)
        self._text.plain = (f"scanning: {progress.files:,} files, {megabytes:,.1f} MB read, "
                            f"{progress.findings} finding(s), {progress.elapsed_seconds:,.0f}s  {where}")


def print_findings(result: ScanResult, stream: TextIO) -> None:
    """The findings table and the summary line for a terminal: coloured, as wide as the window."""
    console = Console(file=stream, highlight=False)
    if result.findings:
        table = Table(show_edge=False, pad_edge=False, expand=False)
        table.add_column("SEVERITY", no_wrap=True)
        table.add_column("RULE", overflow="fold")
        table.add_column("LOCATION", overflow="fold", ratio=3)
        table.add_column("PREVIEW", overflow="fold")
        for finding in sorted(result.findings, key=lambda f: f.sort_key()):
            table.add_row(Text(finding.severity.upper(), style=_STYLE[finding.severity]), finding.rule_id,
                          f"{finding.path}:{finding.line}:{finding.column}", finding.redacted)
        console.print(table)
        console.print()
    console.print(Text(summarize(result), style="bold" if result.findings or not result.complete else ""))


def _fold(path: str, width: int) -> str:
    # A file name is data: control characters (terminal escapes) are shown as '?'.
    path = re.sub("[\x00-\x1f\x7f-\x9f]", "?", path)
    return path if len(path) <= width else "…" + path[-(width - 1):]
