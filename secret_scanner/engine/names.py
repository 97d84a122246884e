"""Masking secrets in names: a token in a directory or file name must not leave through the names we echo.

Before a name is echoed (a finding's path, a file problem, an incomplete reason, a root), it is scanned with
the same engine and rules as file content; each span a rule matches is replaced by that finding's redacted
preview. Only echoed names are scanned, once each, so the cost is per finding, not per file. A finding's name
is masked when it is found (the scan state keeps it masked); the other names go through a memo of earlier
runs with the same rules (the scan state's), so a rescan with nothing changed builds no engine at all.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from secret_scanner.model import FileProblem, Finding

if TYPE_CHECKING:
    from secret_scanner.engine.detector import Engine

MASK_FAILED = "(name withheld: it could not be checked for secrets)"


class NameMemo(Protocol):
    def masked_name(self, name: str) -> str | None:
        """`name` as masked by an earlier run with the same rules, or None."""

    def remember_masked_name(self, name: str, masked: str) -> None: ...


class NameMasker:
    """Masks names with an engine (or a function that builds one only when a name is not in the memo)."""

    def __init__(self, engine: Engine | Callable[[], Engine], memo: NameMemo | None = None) -> None:
        self._engine = engine
        self._memo = memo
        self._seen: dict[str, str] = {}

    def mask(self, name: str) -> str:
        """`name` with every secret a rule finds in it replaced by its redacted preview."""
        if name not in self._seen:
            known = self._memo.masked_name(name) if self._memo is not None else None
            if known is None:
                known = self._mask_once(name)
                if self._memo is not None and known != MASK_FAILED:
                    self._memo.remember_masked_name(name, known)
            self._seen[name] = known
        return self._seen[name]

    def _mask_once(self, name: str) -> str:
        data = name.encode("utf-8", "surrogateescape") if os.name == "posix" else name.encode("utf-8",
                                                                                              "surrogatepass")
        engine = self._engine if not callable(self._engine) else self._engine()
        try:
            found = engine.scan_bytes(data, "")
        except Exception:
            return MASK_FAILED
        if not found:
            return name
        lines = name.split("\n")
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        spans = []
        for finding in found:
            if 1 <= finding.line <= len(lines):
                start = starts[finding.line - 1] + finding.column - 1
                spans.append((start, start + max(finding.length, 1), finding.redacted))
        masked = name
        for start, end, preview in sorted(spans, reverse=True):
            masked = masked[:start] + f"[{preview}]" + masked[end:]
        return masked


@dataclass(frozen=True)
class MaskedNames:
    findings: tuple[Finding, ...]
    problems: tuple[FileProblem, ...]
    reasons: tuple[str, ...]
    roots: tuple[str, ...]


def mask_result_names(masker: NameMasker, findings: Sequence[Finding], problems: Sequence[FileProblem],
                      reasons: Sequence[str], roots: Sequence[str]) -> MaskedNames:
    """The result's echoed names with secrets masked (see the module docstring)."""
    return MaskedNames(
        findings=tuple(dataclasses.replace(f, path=masker.mask(f.path)) for f in findings),
        problems=tuple(dataclasses.replace(p, path=masker.mask(p.path)) for p in problems),
        reasons=tuple(masker.mask(reason) for reason in reasons),
        roots=tuple(masker.mask(root) for root in roots),
    )


def masked_findings(masker: NameMasker, findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings with their names masked (a finding's path may hold a secret of its own)."""
    return tuple(dataclasses.replace(f, path=masker.mask(f.path)) for f in findings)
