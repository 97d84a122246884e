"""One detection rule: the validated, compiled form of a `[[rules]]` table of a rule file (docs/rules.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from secret_scanner.catalog.patterns import translate_line_ends
from secret_scanner.errors import RuleError
from secret_scanner.model import Confidence, Severity

# No match may be longer than this: it is the overlap between the chunks of a large file.
MAX_MATCH_BYTES = 8192
# Keywords must occur in the match or this close to it (lookarounds may hold the keyword).
KEYWORD_WINDOW = 256
DEFAULT_EXAMPLE_PATH = "example.txt"



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
    # A catch-all for a provider's known prefix: loses every overlap to a provider rule, wins over generic ones.
    fallback: bool = False
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
        """Who wins an overlap: specific before fallback before generic, then confidence, then severity."""
        return (0 if self.generic else 1 if self.fallback else 2, self.confidence.rank, self.severity.rank)

    def applies_to(self, lower_path: str) -> bool:
        return not self.path_regexes or any(p.search(lower_path) for p in self.path_regexes)
