"""SARIF 2.1.0 output validates against the official schema and carries no secret."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from secret_scanner.catalog import specimen
from secret_scanner.catalog.loader import load_rules
from secret_scanner.engine.identity import Fingerprinter
from secret_scanner.engine.scan import ScanOptions, scan
from secret_scanner.model import Finding, ScanResult, ScanStats
from secret_scanner.output.sarif import render_sarif, to_file_uri

DATA = Path(__file__).parent / "data"
TEST_RULES = DATA / "engine_rules"


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return loaded


def test_scan_result_renders_valid_sarif_without_secrets(tmp_path: Path, schema: dict[str, object]) -> None:
    token = specimen.make("github", "ghp_")
    key = specimen.make("pem", "ec")
    (tmp_path / "a b.txt").write_text(f"GITHUB_TOKEN={token}\n")
    (tmp_path / "id_ec").write_text(key)
    rules = load_rules(TEST_RULES)
    result = scan(ScanOptions(roots=(tmp_path,), rules=rules, time_budget_seconds=60),
                  Fingerprinter(b"k" * 32, "test"))
    text = render_sarif(result, rules)
    assert token not in text and key.splitlines()[1] not in text
    log = json.loads(text)
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    driver_rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in driver_rules] == [r.id for r in rules]
    github = next(r for r in driver_rules if r["id"] == "test.github")
    assert github["helpUri"] == "https://example.invalid/github"
    assert github["fullDescription"]["text"] == rules[0].description
    assert github["properties"]["severity"] == "critical"
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"test.github", "test.private-key"}
    hit = results["test.github"]
    assert hit["level"] == "error"
    assert hit["message"]["text"] == "GitHub token: ghp_...(40 chars)"
    location = hit["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == (tmp_path / "a b.txt").as_uri()
    assert location["region"] == {"startLine": 1, "startColumn": 14}
    finding = next(f for f in result.findings if f.rule_id == "test.github")
    assert hit["partialFingerprints"] == {"secretFingerprint/v1": finding.fingerprint}
    assert driver_rules[hit["ruleIndex"]]["id"] == "test.github"


def test_levels_incomplete_runs_and_unknown_rules_validate(schema: dict[str, object]) -> None:
    findings = tuple(
        Finding(f"other.{severity}", "Other", severity, "low", "relative/dir/file.txt", 3, 5, "ab" * 16,
                "...(8 chars)", 8)
        for severity in ("critical", "high", "medium", "low"))
    result = ScanResult(findings, ScanStats(engine="python"), complete=False,
                        incomplete_reasons=("time budget of 10 s exhausted after 3 files",))
    log = json.loads(render_sarif(result, ()))
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    # sorted by rule id: critical, high, low, medium
    assert [r["level"] for r in run["results"]] == ["error", "error", "note", "warning"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "relative/dir/file.txt"


def test_schema_rejects_a_broken_log(schema: dict[str, object]) -> None:
    broken = json.loads(render_sarif(ScanResult((), ScanStats()), ()))
    broken["runs"][0]["results"] = [{"ruleId": "x", "level": "fatal", "message": {"text": "m"}}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_file_uris() -> None:
    assert to_file_uri("/home/alice/my file.txt") == "file:///home/alice/my%20file.txt"
    assert to_file_uri("C:\\Users\\alice\\.aws\\credentials") == "file:///C:/Users/alice/.aws/credentials"
    assert to_file_uri("conf/app.ini") == "conf/app.ini"
