"""Suppression: the ways an operator accepts a finding, each visible in the counts, none silently dropping it.

- Inline allow markers on the finding's line (ours and the ones teams already write for other scanners).
- Ignore patterns with gitignore semantics, relative to each scanned root: `.secretscannerignore` at the root
  and the fleet config's `exclude` list. Ignored paths are not read; the walk counts them.
- Fingerprints the fleet accepts (`ignore_fingerprints`) and the fingerprints of a baseline report.

An ignore file sits among files other users may write: it is honoured only when owned by this account or root
and not writable by group or others, and it is read bounded.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pathspec

from secret_scanner.model import Finding

log = logging.getLogger(__name__)

ALLOW_MARKERS: tuple[bytes, ...] = (
    b"secretscanner:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
    b"kingfisher:ignore",
)
IGNORE_FILE = ".secretscannerignore"
MAX_IGNORE_FILE_BYTES = 256 * 1024
MAX_IGNORE_PATTERNS = 5000
# How far from a match the line is searched for a marker: a minified file is one line of megabytes.
_LINE_WINDOW = 4096

INLINE = "inline"
FINGERPRINT = "fingerprint"
BASELINE = "baseline"


def has_allow_marker(data: bytes, start: int, end: int) -> bool:
    """Whether the line holding data[start:end] carries an allow marker (case-insensitive)."""
    low = max(0, start - _LINE_WINDOW)
    newline = data.rfind(b"\n", low, start)
    line_start = newline + 1 if newline >= 0 else low
    newline = data.find(b"\n", end, end + _LINE_WINDOW)
    line = data[line_start: newline if newline >= 0 else end + _LINE_WINDOW].lower()
    return any(marker in line for marker in ALLOW_MARKERS)


@dataclass(frozen=True)
class PathIgnorer:
    """Gitignore-style patterns per scanned root: the config's patterns plus the root's own ignore file."""

    patterns: tuple[str, ...] = ()

    def for_root(self, root: str) -> Callable[[str, bool], bool] | None:
        own = read_ignore_file(os.path.join(root, IGNORE_FILE)) if os.path.isdir(root) else []
        lines = list(self.patterns) + own
        lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            return None
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        prefix = len(root.rstrip("\\/")) + 1

        def ignored(path: str, is_dir: bool) -> bool:
            relative = path[prefix:].replace("\\", "/")
            return bool(spec.match_file(relative + "/" if is_dir else relative))

        return ignored


def read_ignore_file(path: str) -> list[str]:
    """The lines of an ignore file this account trusts; [] when it is absent or not trusted (with a warning)."""
    flags = os.O_RDONLY | sum(getattr(os, n, 0) for n in ("O_BINARY", "O_NOFOLLOW", "O_NONBLOCK", "O_NOCTTY"))
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("ignore file %s not used: %s", path, exc.strerror or type(exc).__name__)
        return []
    try:
        info = os.fstat(descriptor)
        problem = _distrust(info)
        if problem:
            log.warning("ignore file %s not used: %s", path, problem)
            return []
        data = os.read(descriptor, MAX_IGNORE_FILE_BYTES + 1)
    except OSError as exc:
        log.warning("ignore file %s not used: %s", path, exc.strerror or type(exc).__name__)
        return []
    finally:
        os.close(descriptor)
    if len(data) > MAX_IGNORE_FILE_BYTES:
        log.warning("ignore file %s not used: larger than %d bytes", path, MAX_IGNORE_FILE_BYTES)
        return []
    return data.decode("utf-8", "replace").splitlines()[:MAX_IGNORE_PATTERNS]


def _distrust(info: os.stat_result) -> str:
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if sys.platform != "win32":
        if info.st_uid not in (0, os.geteuid()):
            return f"owned by uid {info.st_uid}, not by this account or root"
        if stat.S_IMODE(info.st_mode) & 0o022:
            return "writable by group or others"
    return ""


def apply_fingerprints(findings: Sequence[Finding], accepted: Iterable[str], baseline: Iterable[str] = ()
                       ) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (active, suppressed): marked inline, accepted by the fleet, or in the baseline."""
    fleet = {f.lower() for f in accepted}
    known = {f.lower() for f in baseline}
    active: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if finding.suppressed:
            suppressed.append(finding)
        elif finding.fingerprint in fleet:
            suppressed.append(dataclasses.replace(finding, suppressed=FINGERPRINT))
        elif finding.fingerprint in known:
            suppressed.append(dataclasses.replace(finding, suppressed=BASELINE))
        else:
            active.append(finding)
    return active, suppressed
