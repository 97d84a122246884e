"""No rule backtracks catastrophically: every rule (shipped and test) scans adversarial 100 KB lines.

The bound per case is generous (5 s): it tells "did not hang", it is not a speed claim.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from secret_scanner.catalog.loader import load_rules
from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.errors import RuleError

TEST_RULES = Path(__file__).parent / "data" / "engine_rules"
SIZE = 100 * 1024
HANG = 5.0
BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _rules() -> tuple[Rule, ...]:
    try:
        shipped = load_rules()
    except RuleError:
        shipped = ()
    return shipped + load_rules(TEST_RULES)


def _payloads(rule: Rule) -> list[tuple[str, bytes]]:
    cases = [("a-run", b"a" * SIZE), ("equals-run", b"=" * SIZE), ("A-run-then-equals", b"A" * SIZE + b"=")]
    for keyword in sorted({rule.keywords[0], rule.keywords[-1]}):
        for kw in {keyword.encode(), keyword.upper().encode()}:
            label = kw.decode(errors="replace")
            base64 = (BASE64 * (SIZE // len(BASE64) + 1))[:SIZE]
            cases += [
                (f"{label}-repeated", kw * (SIZE // len(kw))),
                (f"{label}=-repeated", (kw + b"=") * (SIZE // (len(kw) + 1))),
                (f"{label}-then-A", kw + b"=" + b"A" * SIZE),
                (f"{label}-then-a", kw + b"a" * SIZE),
                (f"{label}-then-quote-a", kw + b'="' + b"a" * SIZE),
                (f"{label}-then-spaces", kw + b" " * SIZE + b"x"),
                (f"{label}-then-base64", kw + b": " + base64),
                (f"{label}-then-dashes", kw + b"-" * SIZE),
                (f"{label}-then-newlines", kw + b"\n" * SIZE),
                (f"{label}-then-escaped-newlines", kw + b"\\n" * (SIZE // 2)),
                (f"{label}-base64-lines", kw + b"\n" + b"\n".join([base64[:64]] * (SIZE // 65))),
            ]
    return cases


RULES = _rules()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_does_not_hang_on_adversarial_input(rule: Rule) -> None:
    engine = Engine((rule,), Fingerprinter(b"k" * 32, "test"), "python")
    slow = []
    for label, payload in _payloads(rule):
        started = time.monotonic()
        engine.scan_bytes(payload, rule.example_path)
        elapsed = time.monotonic() - started
        if elapsed > HANG:
            slow.append(f"{label}: {elapsed:.1f} s")
    assert not slow, f"{rule.id} hangs on: " + ", ".join(slow)
