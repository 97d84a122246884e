"""The Hyperscan gate guesses each rule's mode from Python's parse and compiles once (h-speed)."""

from __future__ import annotations

import pytest

from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.gate import HyperscanGate, _guess_mode

hyperscan = pytest.importorskip("hyperscan")


@pytest.mark.parametrize(("gate", "mode"), [
    (rb"ghp_[A-Za-z0-9]{36}", "exact"),
    (rb"(?<![a-z])key=([a-z]{8})", "prefilter"),
    (rb"x(?=y)", "prefilter"),
    (rb"^\[client\][^\[]*^password=(\S+)", "keywords"),
    (rb"^password=(\S+)", "exact"),
])
def test_modes_are_guessed_from_the_parse(gate: bytes, mode: str) -> None:
    assert _guess_mode(gate) == mode


def test_the_shipped_catalog_compiles_without_per_rule_probing(mocker: object) -> None:
    """Probing each rule costs ~8 s; the guess must hold for every shipped rule, or this test fails."""
    probe = mocker.patch.object(HyperscanGate, "_compile_one",  # type: ignore[attr-defined]
                                side_effect=AssertionError("per-rule probing"))
    gate = HyperscanGate(load_rules(), hyperscan)
    assert not probe.called
    assert set(gate.modes.values()) == {"exact", "prefilter", "keywords"}
