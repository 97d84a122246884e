"""Masking secrets in names: a token in a directory or file name must not leave through the names we echo.

Before a name is echoed (a finding's path, a file problem, an incomplete reason, a root), it is scanned with
the same engine and rules as file content; each span a rule matches is replaced by that finding's redacted
preview. Only echoed names are scanned, once each, so the cost is per finding, not per file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from secret_scanner.model import FileProblem, Finding

if TYPE_CHECKING:
    from secret_scanner.engine.detector import Engine

MASK_FAILED = "(name withheld: it could not be checked for secrets)"


class NameMasker:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._seen: dict[str, str] = {}

    def mask(self, name: str) -> str:
        """`name` with every secret a rule finds in it replaced by its redacted preview."""
        if name not in self._seen:
            self._seen[name] = self._mask_once(name)
        return self._seen[name]

    def _mask_once(self, name: str) -> str:
        data = name.encode("utf-8", "surrogateescape") if os.name == "posix" else name.encode("utf-8",
                                                                                              "surrogatepass")
        try:
            found = self._engine.scan_bytes(data, "")
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
