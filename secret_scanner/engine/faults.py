"""The per-file fault boundary: an exception while scanning one file is that file's error, never the run's.

Any local user can drop a file crafted to break a validator, a decoder or a filter (a JWT whose header is JSON
nested 100,000 deep). Such an exception is caught around each match and around each file, described by the
rule and the stage it came from (never by its message, which may quote scanned content), counted, and the
scan goes on.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import PurePath

# Innermost frame's module -> stage named in the report.
_STAGES = {
    "validators.py": "validator",
    "filters.py": "filter",
    "decoding.py": "decoder",
    "blocks.py": "reader",
    "gate.py": "gate",
    "identity.py": "fingerprint",
}
MAX_LISTED_FAULTS = 100


@dataclass(frozen=True)
class Fault:
    """What went wrong in one file: the rule (if one was being applied), the stage and the exception type."""

    stage: str
    error: str
    rule_id: str | None = None

    def describe(self) -> str:
        where = f"rule {self.rule_id}, " if self.rule_id else ""
        return f"internal error in {where}{self.stage}: {self.error}"


def fault_of(exc: BaseException, rule_id: str | None = None) -> Fault:
    """The fault of `exc`, with the stage taken from the innermost engine module in its traceback."""
    stage = "engine"
    for frame in traceback.extract_tb(exc.__traceback__):
        stage = _STAGES.get(PurePath(frame.filename).name, stage)
    return Fault(stage, type(exc).__name__, rule_id)


class FaultedWith(Exception):
    """A file was scanned with faults: `findings` are those found anyway, `faults` what failed."""

    def __init__(self, findings: list[object], faults: list[Fault]) -> None:
        super().__init__("scan of one file had faults")
        self.findings = findings
        self.faults = faults
