"""Every shipped rule, through the whole engine: examples must yield exactly one finding of their rule,
negative examples none (in UTF-8, UTF-8 with CRLF and UTF-16 LE).

Rule authors: `pytest tests/test_catalog.py`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secret_scanner.catalog.loader import load_rules
from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.selftest import check_rule, new_engine
from secret_scanner.errors import RuleError
from secret_scanner.output.text import render_catalog as format_catalog


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
    assert rule.title.strip() == rule.title, "title has no surrounding blanks"
    assert len(rule.description) >= 20, "description says what an attacker can do with the secret"
    assert all(re.match(r"^https://", ref) for ref in rule.references), "references are https URLs"
    assert rule.negative_examples, "every rule has at least one negative example"


def test_format_catalog_lists_every_rule() -> None:
    text = format_catalog(SHIPPED)
    for rule in SHIPPED:
        assert rule.id in text
    assert f"{len(SHIPPED)} rules" in text


GOOD = '''
[[rules]]
id = "demo.token"
title = "Demo token"
severity = "high"
confidence = "high"
pattern = \'\'\'(?:^|[^a-z])(dmo_[a-z0-9]{20})\'\'\'
keywords = ["dmo_"]
description = "A token for the loader tests."
examples = ["x = dmo_<gen:lower:20>"]
'''


@pytest.mark.parametrize(("change", "message"), [
    (("severity = \"high\"", "severity = \"urgent\""), "severity must be one of"),
    (("keywords = [\"dmo_\"]", "keywords = [\"DMO_\"]"), "keywords must be lowercase"),
    (("keywords = [\"dmo_\"]", "keywords = []"), "keywords needs at least one entry"),
    (("(dmo_[a-z0-9]{20})", "(dmo_)([a-z0-9]{20})"), "exactly one capture group"),
    (("(dmo_[a-z0-9]{20})", "(dmo_[a-z0-9]+)"), "more than 8192 bytes"),
    (("(dmo_[a-z0-9]{20})", "(dmo_[a-z0-9]{,20})"), "{0,n}"),
    (("(dmo_[a-z0-9]{20})", "(dmo_[a-z0-9]{20}"), "does not compile"),
    (("(?:^|[^a-z])(dmo_[a-z0-9]{20})", "(x?)"), "matches the empty string"),
    (("title = \"Demo token\"", "title = \"Demo token\"\ntitel = \"typo\""), "unknown keys titel"),
    (("id = \"demo.token\"", "id = \"Demo Token\""), "dotted lowercase"),
    (("examples = [\"x = dmo_<gen:lower:20>\"]", "examples = []"), "examples needs at least one entry"),
    (("confidence = \"high\"", "confidence = \"high\"\nvalidator = \"nope\""), "unknown validator"),
    (("confidence = \"high\"", "confidence = \"high\"\npath_patterns = ['x\\\\.ini$']"), "example_path"),
    (("examples = [\"x = dmo_<gen:lower:20>\"]",
      "examples = [\"x = dmo_<gen:lower:20>\"]\n[rules.pair]\nrule = \"demo.other\"\nwithin_lines = 3"),
     "pair names unknown rule 'demo.other'"),
])
def test_malformed_rules_name_the_file_and_rule(tmp_path: Path, change: tuple[str, str],
                                               message: str) -> None:
    assert change[0] in GOOD
    (tmp_path / "demo.toml").write_text(GOOD.replace(change[0], change[1], 1))
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    assert "rules/demo.toml" in str(caught.value)
    assert message in str(caught.value)
    if "Demo Token" not in change[1]:
        assert "'demo.token'" in str(caught.value)


def test_good_rule_loads_and_duplicates_and_bad_toml_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD)
    (rule,) = load_rules(tmp_path)
    assert rule.id == "demo.token" and rule.keywords == ("dmo_",)
    (tmp_path / "b.toml").write_text(GOOD)
    with pytest.raises(RuleError, match=r"already defined in rules/a\.toml"):
        load_rules(tmp_path)
    (tmp_path / "b.toml").write_text("[[rules]\nid=")
    with pytest.raises(RuleError, match=r"rules/b\.toml: not valid TOML"):
        load_rules(tmp_path)


def test_dollar_is_crlf_aware_in_python_and_widened_in_the_gate() -> None:
    from secret_scanner.catalog.patterns import translate_line_ends

    python, gate = translate_line_ends(r"key=(\w{4,80})$[$]\$x{2,3}")
    assert python == r"key=(\w{4,80})(?=\r?$)[$]\$x{2,3}"
    assert gate == r"key=(\w{4,})(?:\r?$)[$]\$x{2,3}"
