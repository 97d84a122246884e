"""Text for a person: the findings table with its summary line, and the rule catalog listing."""

from __future__ import annotations

from collections.abc import Iterable

from secret_scanner.catalog.rule import Rule
from secret_scanner.model import SEVERITIES, ScanResult, ScanStats
from secret_scanner.names import show_name
from secret_scanner.output.table import render_table


def render_text(result: ScanResult) -> str:
    """A readable table for a person at a terminal: one row per finding, then the summary."""
    rows = [("SEVERITY", "RULE", "LOCATION", "PREVIEW")]
    for finding in sorted(result.findings, key=lambda f: f.sort_key()):
        # show_name: a name with a newline, ESC, CR or U+202E must not forge rows (names.py).
        location = f"{show_name(finding.path)}:{finding.line}:{finding.column}"
        rows.append((finding.severity.upper(), finding.rule_id, location, show_name(finding.redacted)))
    lines: list[str] = []
    if len(rows) > 1:
        lines.extend(render_table(rows))
        lines.append("")
    if result.problems:
        lines.append("Not fully scanned:")
        lines.extend(f"  {p.kind}: {show_name(p.path)}: {show_name(p.detail)}" for p in result.problems)
        lines.append("")
    lines.append(summarize(result))
    return "\n".join(lines) + "\n"


def summarize(result: ScanResult) -> str:
    """One line: printed on stdout and sent as the KeeperLogger summary message (one wording for both)."""
    stats = result.stats
    counts = result.count_by_severity()
    by_severity = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    found = f"{len(result.findings)} secret(s) found" + (f" ({by_severity})" if by_severity else "")
    reasons = "; ".join(show_name(reason) for reason in result.incomplete_reasons)
    state = "complete" if result.complete else f"INCOMPLETE ({reasons})"
    # Suppressed findings, files reused from the scan state and files that failed are named, never hidden.
    if result.suppressed:
        found += f", {len(result.suppressed)} suppressed"
    unchanged = f" (+{stats.files_unchanged} unchanged)" if stats.files_unchanged else ""
    faults = "".join(f", {n} {what}" for n, what in ((stats.file_errors, "failed with an internal error"),
                                                    (stats.files_truncated, "truncated")) if n)
    return (
        f"Secret scan {state}: {found} in {stats.files_scanned} file(s){unchanged}, "
        f"{stats.files_skipped} skipped, {stats.read_errors} unreadable{faults}, {stats.duration_seconds:.1f}s."
        + (f" {stats.below_threshold} below the confidence/severity threshold, not listed."
           if stats.below_threshold else "")
        + describe_archives(stats)
    )


def render_catalog(rules: Iterable[Rule]) -> str:
    """A readable table of the rules (id, severity, confidence, title) and a count line."""
    listed = list(rules)
    rows = [("ID", "SEVERITY", "CONFIDENCE", "TITLE")] + [(r.id, r.severity, r.confidence, r.title) for r in listed]
    lines = render_table(rows)
    counts = {severity: sum(1 for r in listed if r.severity == severity) for severity in SEVERITIES}
    by_severity = ", ".join(f"{n} {severity}" for severity, n in counts.items() if n)
    lines.append("")
    lines.append(f"{len(listed)} rules" + (f" ({by_severity})" if by_severity else ""))
    return "\n".join(lines) + "\n"


# The archive part of the summary line, only when an archive was met.
def describe_archives(stats: ScanStats) -> str:
    if not stats.archives_scanned and not stats.skip_reasons:
        return ""
    skipped = "; ".join(f"{reason}: {count}" for reason, count in stats.skip_reasons)
    return (f" Archives: {stats.archives_scanned} opened, {stats.members_scanned} member(s) read"
            + (f"; skipped: {skipped}" if skipped else "") + ".")
