"""The rule catalog as JSON (`--list-rules --format json`): what each rule finds, for tools and people."""

from __future__ import annotations

import json
from collections.abc import Iterable

from secret_scanner.catalog.rule import Rule


def render_catalog_json(rules: Iterable[Rule]) -> str:
    listed = [
        {"id": rule.id, "title": rule.title, "severity": str(rule.severity), "confidence": str(rule.confidence),
         "description": rule.description, "keywords": list(rule.keywords), "generic": rule.generic,
         "path_patterns": list(rule.path_patterns), "validator": rule.validator,
         "references": list(rule.references)}
        for rule in rules
    ]
    return json.dumps({"rules": listed, "count": len(listed)}, indent=2, ensure_ascii=False) + "\n"
