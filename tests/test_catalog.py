"""Every shipped rule, through the whole engine: examples must yield exactly one finding of their rule,
negative examples none (in UTF-8, UTF-8 with CRLF and UTF-16 LE). Rule authors: `pytest tests/test_catalog.py`.
"""

from __future__ import annotations

import re

import pytest

from secret_scanner.catalog import format_catalog, load_rules
from secret_scanner.errors import RuleError
from secret_scanner.rule import Rule
from secret_scanner.selftest import check_rule, new_engine


def _shipped() -> tuple[Rule, ...]:
    try:
        return load_rules()
    except RuleError:
        return ()  # test_catalog_loads reports the error


SHIPPED = _shipped()


def test_catalog_loads() -> None:
    rules = load_rules()
    assert len({rule.id for rule in rules}) == len(rules)


@pytest.fixture(scope="module")
def engine() -> object:
    return new_engine(SHIPPED)


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda rule: rule.id)
def test_rule_examples(engine: object, rule: Rule) -> None:
    passed, failures = check_rule(engine, rule)
    assert not failures, "\n".join(failures)
    assert passed == 3 * (len(rule.examples) + len(rule.negative_examples))


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda rule: rule.id)
def test_rule_metadata(rule: Rule) -> None:
    assert rule.title[0].isupper() or rule.title[0].isdigit(), "title starts with a capital"
    assert len(rule.description) >= 20, "description says what an attacker can do with the secret"
    assert all(re.match(r"^https://", ref) for ref in rule.references), "references are https URLs"
    assert rule.negative_examples, "every rule has at least one negative example"


def test_format_catalog_lists_every_rule() -> None:
    text = format_catalog(SHIPPED)
    for rule in SHIPPED:
        assert rule.id in text
    assert f"{len(SHIPPED)} rules" in text
