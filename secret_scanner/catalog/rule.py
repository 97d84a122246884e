"""One detection rule: the validated, compiled form of a `[[rules]]` table of a rule file (docs/rules.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from secret_scanner.catalog.validators import VALIDATORS
from secret_scanner.errors import RuleError
from secret_scanner.model import CONFIDENCES, SEVERITIES, Confidence, Severity

# No match may be longer than this: it is the overlap between the chunks of a large file.
MAX_MATCH_BYTES = 8192
# Keywords must occur in the match or this close to it (lookarounds may hold the keyword).
KEYWORD_WINDOW = 256
DEFAULT_EXAMPLE_PATH = "example.txt"

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$")
_KNOWN_KEYS = frozenset({
    "id", "title", "severity", "confidence", "pattern", "keywords", "ignore_case", "multiline", "min_entropy",
    "validator", "stopwords", "allow_patterns", "placeholder_filter", "generic", "path_patterns",
    "description", "references", "examples", "negative_examples", "example_path", "pair",
})


@dataclass(frozen=True)
class Pair:
    """A nearby finding of `rule` (within `within_lines` lines, same file) merges into this rule's finding."""

    rule: str
    within_lines: int


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    confidence: Confidence
    pattern: str
    keywords: tuple[str, ...]
    description: str
    source: str = ""
    ignore_case: bool = False
    multiline: bool = False
    min_entropy: float | None = None
    validator: str | None = None
    stopwords: tuple[str, ...] = ()
    allow_patterns: tuple[str, ...] = ()
    placeholder_filter: bool = True
    generic: bool = False
    path_patterns: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    example_path: str = DEFAULT_EXAMPLE_PATH
    pair: Pair | None = None
    # Compiled forms, derived from the fields above in __post_init__.
    regex: re.Pattern[bytes] = field(init=False, repr=False, compare=False)
    gate: bytes = field(init=False, repr=False, compare=False)
    keyword_bytes: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    allow_regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    path_regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flags = (re.IGNORECASE if self.ignore_case else 0) | (re.MULTILINE if self.multiline else 0)
        python_source, gate_source = translate_line_ends(self.pattern)
        try:
            regex = re.compile(python_source.encode("utf-8"), flags)
        except (re.error, OverflowError) as exc:
            raise RuleError(f"{self._where()}: pattern does not compile: {exc}") from exc
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "gate", gate_source.encode("utf-8"))
        object.__setattr__(self, "keyword_bytes", tuple(k.encode("utf-8") for k in self.keywords))
        object.__setattr__(self, "allow_regexes", self._compile_all(self.allow_patterns, "allow_patterns", 0))
        object.__setattr__(self, "path_regexes", self._compile_all(self.path_patterns, "path_patterns", 0))

    def _where(self) -> str:
        return f"{self.source or '<rules>'}: rule {self.id!r}"

    def _compile_all(self, sources: tuple[str, ...], key: str, flags: int) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for source in sources:
            try:
                compiled.append(re.compile(source, flags))
            except re.error as exc:
                raise RuleError(f"{self._where()}: {key} entry does not compile: {exc}") from exc
        return tuple(compiled)

    @property
    def rank(self) -> tuple[int, int, int]:
        """Who wins an overlap: specific before generic, then higher confidence, then higher severity."""
        return (0 if self.generic else 1, self.confidence.rank, self.severity.rank)

    def applies_to(self, lower_path: str) -> bool:
        return not self.path_regexes or any(p.search(lower_path) for p in self.path_regexes)


_QUANTIFIER = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")
# Hyperscan compiles large bounded repeats slowly (seconds for {64,8000}); the gate only has to be a superset
# of the Python pattern, so it gets X{min(m,K),} for any repeat bounded above K.
_GATE_REPEAT_LIMIT = 32


def _widen(quantifier: re.Match[str]) -> str:
    low = int(quantifier.group(1))
    high = quantifier.group(3)
    bounded_high = low if quantifier.group(2) is None else (int(high) if high else None)
    if bounded_high is not None and bounded_high <= _GATE_REPEAT_LIMIT:
        return quantifier.group(0)
    return f"{{{min(low, _GATE_REPEAT_LIMIT)},}}"


def translate_line_ends(pattern: str) -> tuple[str, str]:
    """Returns (python pattern, hyperscan gate pattern) for a rule pattern.

    CRLF-aware `$`: Python's `$` stops only before `\\n`, so a Windows line end would defeat it. Python gets
    `(?=\\r?$)`; Hyperscan, which has no lookahead, gets `\\r?$` (consuming the `\\r` only widens the gate,
    which may be a superset). The gate's large bounded repeats are widened (see _widen).
    """
    python_parts: list[str] = []
    gate_parts: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            python_parts.append(pattern[i:i + 2])
            gate_parts.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # A leading ']' (or '^]') is a literal inside the class.
            lead = pattern[i + 1:i + 3]
            step = 2 if lead.startswith("]") else 3 if lead == "^]" else 1
            python_parts.append(pattern[i:i + step])
            gate_parts.append(pattern[i:i + step])
            i += step
            continue
        elif char == "{" and (quantifier := _QUANTIFIER.match(pattern, i)) is not None:
            python_parts.append(quantifier.group(0))
            gate_parts.append(_widen(quantifier))
            i = quantifier.end()
            continue
        elif char == "$":
            python_parts.append(r"(?=\r?$)")
            gate_parts.append(r"(?:\r?$)")
            i += 1
            continue
        python_parts.append(char)
        gate_parts.append(char)
        i += 1
    return "".join(python_parts), "".join(gate_parts)


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
