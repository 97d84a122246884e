"""`--self-test`: every rule's examples and negative examples through the whole engine, inside the installed
or frozen program (so a packaging defect -- a missing rule file, a native library that does not load --
shows on the endpoint itself).

Each example is expanded with specimens (seeded per rule and example, so every run checks the same values)
and scanned in memory through the same code path as a file, in three encodings of the same text: UTF-8 with
LF, UTF-8 with CRLF, and UTF-16 LE with BOM.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from secret_scanner.catalog import specimen
from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter

VARIANTS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 crlf": lambda text: text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"),
    "utf-16le bom": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
}


@dataclass(frozen=True)
class SelfTestOutcome:
    passed: int
    failures: tuple[str, ...]
    engine: str = ""


def new_engine(rules: Sequence[Rule], engine: str = "auto") -> Engine:
    return Engine(rules, Fingerprinter(secrets.token_bytes(32), "self-test"), engine)


def check_rule(engine: Engine, rule: Rule, variants: Sequence[str] = tuple(VARIANTS)
               ) -> tuple[int, list[str]]:
    """(checks passed, failure messages) for one rule's examples; messages never quote the example text."""
    passed = 0
    failures: list[str] = []
    cases = [(True, n, text) for n, text in enumerate(rule.examples, 1)]
    cases += [(False, n, text) for n, text in enumerate(rule.negative_examples, 1)]
    for positive, number, template in cases:
        # Seeded per example: made at run time, yet the same on every run (no flaky CI, reproducible fails).
        text = specimen.expand(template, random.Random(f"{rule.id}:{positive}:{number}"))
        for variant in variants:
            found = engine.scan_bytes(VARIANTS[variant](text), rule.example_path)
            own = sum(1 for finding in found if finding.rule_id == rule.id)
            expected = 1 if positive else 0
            if own == expected:
                passed += 1
                continue
            kind = "example" if positive else "negative example"
            others = sorted({f.rule_id for f in found if f.rule_id != rule.id})
            also = f"; other rules found: {', '.join(others)}" if others else ""
            failures.append(f"{rule.id}: {kind} {number} ({variant}) yields {own} finding(s) of this rule, "
                            f"expected {expected}{also}")
    return passed, failures


def check_rules(rules: Sequence[Rule], engine: str = "auto") -> SelfTestOutcome:
    built = new_engine(rules, engine)
    passed = 0
    failures: list[str] = []
    for rule in rules:
        ok, failed = check_rule(built, rule)
        passed += ok
        failures.extend(failed)
    return SelfTestOutcome(passed, tuple(failures), built.name)


def run_self_test() -> SelfTestOutcome:
    """Load the shipped catalog and check every rule; RuleError propagates (a broken catalog is exit 70)."""
    from secret_scanner.catalog.loader import load_rules

    return check_rules(load_rules())
