"""SARIF 2.1.0 rendering of a scan result (`--format sarif`), for code-scanning dashboards and SIEM importers.

No secret appears: messages carry the rule title and the redacted preview; identity is the keyed
fingerprint in partialFingerprints["secretFingerprint/v1"].
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath, PureWindowsPath

from secret_scanner import __version__
from secret_scanner.catalog.rule import Rule
from secret_scanner.model import Finding, ScanResult
from secret_scanner.names import json_safe, uri_path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(result: ScanResult, rules: tuple[Rule, ...] | None = None) -> str:
    """The SARIF log as JSON text. `rules` defaults to the shipped catalog (all of it, found or not)."""
    if rules is None:
        from secret_scanner.catalog.loader import load_rules

        rules = load_rules()
    catalog = {rule.id: rule for rule in rules}
    descriptors = [_describe_rule(rule) for rule in rules]
    known = set(catalog)
    for finding in result.findings:  # a finding of a rule not in the given catalog still gets a descriptor
        if finding.rule_id not in known:
            known.add(finding.rule_id)
            descriptors.append(_describe_unknown_rule(finding))
    index = {descriptor["id"]: i for i, descriptor in enumerate(descriptors)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "SecretScanner",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": result.complete,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": reason}} for reason in result.incomplete_reasons
                ] + [
                    {"level": "error" if p.kind == "error" else "warning",
                     "message": {"text": f"{p.kind}: {p.detail}"},
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": to_file_uri(p.path)}}}]}
                    for p in result.problems
                ],
            }],
            "results": [_render_result(f, index[f.rule_id])
                        for f in sorted(result.findings, key=Finding.sort_key)],
            "properties": {
                "engine": result.stats.engine,
                "filesScanned": result.stats.files_scanned,
                "filesSkipped": result.stats.files_skipped,
                "readErrors": result.stats.read_errors,
                "belowThreshold": result.stats.below_threshold,
                "archivesScanned": result.stats.archives_scanned,
                "membersScanned": result.stats.members_scanned,
                "skipReasons": dict(result.stats.skip_reasons),
                "complete": result.complete,
            },
        }],
    }
    return json_safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


def _describe_rule(rule: Rule) -> dict[str, object]:
    descriptor: dict[str, object] = {
        "id": rule.id,
        "name": _pascalize(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {
            "severity": rule.severity,
            "confidence": rule.confidence,
            "security-severity": rule.severity.security_severity,
            "tags": ["security", "secret"],
        },
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0]
    return descriptor


def _describe_unknown_rule(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.rule_id,
        "name": _pascalize(finding.rule_id),
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": finding.description or finding.title},
        "defaultConfiguration": {"level": finding.severity.sarif_level},
        "properties": {"severity": finding.severity, "tags": ["security", "secret"]},
    }


def _pascalize(rule_id: str) -> str:
    parts = rule_id.replace("-", ".").replace("_", ".").split(".")
    return "".join(part[:1].upper() + part[1:] for part in parts)


def _render_result(finding: Finding, rule_index: int) -> dict[str, object]:
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity.sarif_level,
        "message": {"text": f"{finding.title}: {finding.redacted}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": to_file_uri(finding.path)},
            "region": {"startLine": finding.line, "startColumn": finding.column},
        }}],
        "partialFingerprints": {"secretFingerprint/v1": finding.fingerprint},
        "properties": {"severity": finding.severity, "confidence": finding.confidence,
                       "secretLength": finding.length, **({"note": finding.note} if finding.note else {})},
    }


def to_file_uri(path: str) -> str:
    """An absolute file:// URI for absolute paths (POSIX or Windows), else a relative URI reference."""
    if PureWindowsPath(path).drive and not path.startswith("/"):
        windows = PureWindowsPath(path)
        if windows.is_absolute():
            return windows.as_uri()
        return uri_path(windows.as_posix())
    # Percent-encoded original bytes: a name with undecodable bytes stays lossless (names.py).
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return "file://" + uri_path(str(posix))
    return uri_path(Path(path).as_posix())
