"""The rule-file schema: validates one `[[rules]]` table (docs/rules.md) and builds the compiled Rule."""

from __future__ import annotations

import re
from typing import Any

from secret_scanner.catalog.rule import DEFAULT_EXAMPLE_PATH, MAX_MATCH_BYTES, Pair, Rule
from secret_scanner.catalog.validators import VALIDATORS
from secret_scanner.errors import RuleError
from secret_scanner.model import CONFIDENCES, SEVERITIES, Confidence, Severity

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$")
_KNOWN_KEYS = frozenset({
    "id", "title", "severity", "confidence", "pattern", "keywords", "ignore_case", "multiline", "min_entropy",
    "validator", "stopwords", "allow_patterns", "placeholder_filter", "generic", "fallback", "path_patterns",
    "description", "references", "examples", "negative_examples", "example_path", "pair",
})



def parse_rule(table: Any, source: str) -> Rule:
    """Validate one `[[rules]]` table; every problem raises RuleError naming the file and the rule id."""
    if not isinstance(table, dict):
        raise RuleError(f"{source}: every [[rules]] entry must be a table")
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(f"{source}: rule {rule_id!r}: id must be a dotted lowercase name like 'github.pat'")
    where = f"{source}: rule {rule_id!r}"
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise RuleError(f"{where}: unknown keys {', '.join(unknown)}")

    def text(key: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{where}: {key} must be a non-empty string")
        return value

    def flag(key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise RuleError(f"{where}: {key} must be true or false")
        return value

    def strings(key: str, required: bool = False) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise RuleError(f"{where}: {key} must be a list of non-empty strings")
        if required and not value:
            raise RuleError(f"{where}: {key} needs at least one entry")
        return tuple(value)

    severity = text("severity")
    if severity not in SEVERITIES:
        raise RuleError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    confidence = text("confidence")
    if confidence not in CONFIDENCES:
        raise RuleError(f"{where}: confidence must be one of {', '.join(CONFIDENCES)}")
    pattern = text("pattern")
    _check_pattern(pattern, where, flag("ignore_case", False), flag("multiline", False))
    keywords = strings("keywords", required=True)
    if any(k != k.lower() for k in keywords):
        raise RuleError(f"{where}: keywords must be lowercase")
    if any(len(k.encode("utf-8")) < 2 for k in keywords):
        raise RuleError(f"{where}: keywords must be at least 2 characters long")
    min_entropy = table.get("min_entropy")
    if min_entropy is not None and (isinstance(min_entropy, bool) or not isinstance(min_entropy, int | float)
                                    or not 0 <= min_entropy <= 8):
        raise RuleError(f"{where}: min_entropy must be a number of bits per character between 0 and 8")
    validator = table.get("validator")
    if validator is not None and validator not in VALIDATORS:
        raise RuleError(f"{where}: unknown validator {validator!r} (known: {', '.join(sorted(VALIDATORS))})")
    examples = strings("examples", required=True)
    path_patterns = strings("path_patterns")
    example_path = table.get("example_path", DEFAULT_EXAMPLE_PATH)
    if not isinstance(example_path, str) or not example_path or example_path.startswith("/") \
            or ".." in example_path.split("/"):
        raise RuleError(f"{where}: example_path must be a relative path like 'home/alice/.netrc'")
    rule = Rule(
        id=rule_id,
        title=text("title"),
        severity=Severity(severity),
        confidence=Confidence(confidence),
        pattern=pattern,
        keywords=keywords,
        description=text("description"),
        source=source,
        ignore_case=flag("ignore_case", False),
        multiline=flag("multiline", False),
        min_entropy=float(min_entropy) if min_entropy is not None else None,
        validator=validator,
        stopwords=tuple(s.lower() for s in strings("stopwords")),
        allow_patterns=strings("allow_patterns"),
        placeholder_filter=flag("placeholder_filter", True),
        generic=flag("generic", False),
        fallback=flag("fallback", False),
        path_patterns=path_patterns,
        references=strings("references"),
        examples=examples,
        negative_examples=strings("negative_examples"),
        example_path=example_path,
        pair=_parse_pair(table.get("pair"), where),
    )
    if path_patterns and not rule.applies_to(example_path.lower()):
        raise RuleError(f"{where}: example_path {example_path!r} matches none of path_patterns")
    return rule


def _check_pattern(pattern: str, where: str, ignore_case: bool, multiline: bool) -> None:
    if re.search(r"(?<!\\)\{,", pattern):
        raise RuleError(f"{where}: write {{0,n}} instead of {{,n}} (Hyperscan reads {{,n}} as literal text)")
    flags = (re.IGNORECASE if ignore_case else 0) | (re.MULTILINE if multiline else 0)
    try:
        compiled = re.compile(pattern.encode("utf-8"), flags)
    except (re.error, OverflowError) as exc:
        raise RuleError(f"{where}: pattern does not compile as a bytes pattern: {exc}") from exc
    if compiled.groups != 1:
        raise RuleError(f"{where}: pattern must have exactly one capture group (the secret), has "
                        f"{compiled.groups}; use (?:...) for the others")
    if compiled.match(b""):
        raise RuleError(f"{where}: pattern matches the empty string")
    widest = _measure_max_width(pattern.encode("utf-8"), flags)
    if widest is not None and widest > MAX_MATCH_BYTES:
        raise RuleError(
            f"{where}: pattern can match more than {MAX_MATCH_BYTES} bytes; bound every quantifier")


def _measure_max_width(pattern: bytes, flags: int) -> int | None:
    """The longest possible match, from the stdlib's own parser (private API: skip the check if it moves)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        _, high = _parser.parse(pattern, flags).getwidth()
    except Exception:
        return None
    return int(high)


def _parse_pair(value: Any, where: str) -> Pair | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"rule", "within_lines"}:
        raise RuleError(f"{where}: [rules.pair] takes exactly 'rule' and 'within_lines'")
    other = value.get("rule")
    lines = value.get("within_lines")
    if not isinstance(other, str) or not _ID.match(other):
        raise RuleError(f"{where}: pair.rule must be a rule id")
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= 1000:
        raise RuleError(f"{where}: pair.within_lines must be a whole number between 0 and 1000")
    return Pair(rule=other, within_lines=lines)
