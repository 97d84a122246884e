"""A value a specific rule recognises and rejects (bad checksum, known fake) is not re-reported by generic rules;
its family's `*.unexpected-format` rule reports it once, at low confidence (issue #8, docs/rules.md)."""

from __future__ import annotations

import random

import pytest

from secret_scanner.catalog.loader import load_rules
from secret_scanner.catalog.specimen import make
from secret_scanner.engine.detector import Engine
from secret_scanner.engine.identity import Fingerprinter


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rules(), Fingerprinter(b"k" * 32, "install"), engine="python")


def _corrupt_checksum(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize("template", ["export GITHUB_TOKEN={}\n", "password = {}\n", "token: {}\n"])
def test_valid_token_found_once_by_its_specific_rule(engine: Engine, template: str) -> None:
    findings = engine.scan_bytes(template.format(make("github", "ghp_")).encode(), "home/u/.bash_history")
    assert [f.rule_id for f in findings] == ["github.pat"]


@pytest.mark.parametrize("template", ["export GITHUB_TOKEN={}\n", "password = {}\n", "token: {}\n"])
def test_bad_checksum_token_is_not_picked_up_by_generic_rules(engine: Engine, template: str) -> None:
    bad = _corrupt_checksum(make("github", "ghp_"))
    findings = engine.scan_bytes(template.format(bad).encode(), "home/u/.bash_history")
    assert [(f.rule_id, f.confidence) for f in findings] == [("github.unexpected-format", "medium")]


def test_generic_password_elsewhere_on_the_line_still_found(engine: Engine) -> None:
    bad = _corrupt_checksum(make("github", "ghp_"))
    text = f"token_note={bad}\nDB_PASSWORD={make('password', '18', random.Random('test_veto-password'))}\n"
    findings = engine.scan_bytes(text.encode(), "srv/app/.env")
    assert [(f.line, f.rule_id == "github.unexpected-format") for f in findings] == [(1, True), (2, False)]
