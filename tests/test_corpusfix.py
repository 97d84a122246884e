"""Fixes driven by the bench corpus (bench/README.md "Fixes this corpus drove"): catalog policy and the
general shapes of key assignment the corpus showed we missed."""

from __future__ import annotations

import random
import secrets

import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import Engine
from secret_scanner.model import Confidence, Finding

_KEY = Fingerprinter(secrets.token_bytes(32), "test")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rules(), _KEY, "python")


def _scan(engine: Engine, text: str, path: str) -> list[Finding]:
    return engine.scan_bytes(specimen.expand(text, random.Random(11)).encode("utf-8"), path)


def test_provider_rules_are_at_least_as_confident_as_the_generic_rules() -> None:
    # A provider rule wins the overlap with a generic rule on the same span; were it less confident than the
    # generic rule, the default threshold (medium) would hide a secret the generic rule alone would report.
    rules = load_rules()
    generic_floor = min(rule.confidence.rank for rule in rules if rule.generic)
    weaker = [rule.id for rule in rules
              if not rule.generic and not rule.id.endswith(".unexpected-format")
              and rule.confidence.rank < generic_floor]
    assert generic_floor >= Confidence.MEDIUM.rank
    assert weaker == []
