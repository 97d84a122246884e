"""The two gates that decide WHICH rules may match a block of bytes; Python `re` then finds the matches.

- HyperscanGate: every rule in ONE Hyperscan block-mode database (single-match per rule). A rule whose regex
  Hyperscan cannot take exactly is compiled with HS_FLAG_PREFILTER (a superset); a rule that still fails is
  gated by its keywords as caseless literals in the same database.
- KeywordGate: pure Python, used when Hyperscan cannot be imported or loaded: a rule may match when one of
  its keywords occurs in the lowercased block.

Both gates are supersets of the blocks where the rule's `re` pattern matches (a match must have a keyword in
or near it, and the engine drops matches that do not -- see scanner.py), so both engines yield identical
findings by construction; tests/test_engine_equivalence.py checks it.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

from secret_scanner.catalog.rule import Rule
from secret_scanner.engine.gate_cache import BlobStore, load_cached, store_cached

log = logging.getLogger(__name__)


class Gate(Protocol):
    name: str

    def select(self, block: bytes) -> list[int]:
        """Indexes (into the rule list) of the rules that may match somewhere in `block`, ascending."""
        ...


class KeywordGate:
    name = "python"

    def __init__(self, rules: Sequence[Rule]) -> None:
        # Many rules share keywords (password, secret, token): look each distinct keyword up once.
        self._rules_of: dict[bytes, list[int]] = {}
        for index, rule in enumerate(rules):
            for keyword in rule.keyword_bytes:
                self._rules_of.setdefault(keyword, []).append(index)

    def select(self, block: bytes) -> list[int]:
        lowered = block.lower()
        hits: set[int] = set()
        for keyword, indexes in self._rules_of.items():
            if keyword in lowered:
                hits.update(indexes)
        return sorted(hits)


class HyperscanGate:
    name = "hyperscan"

    def __init__(self, rules: Sequence[Rule], hyperscan: Any) -> None:
        self._hs = hyperscan
        self._error = hyperscan.error
        self._fallback = KeywordGate(rules)
        self.modes: dict[str, str] = {}
        self._empty = not rules
        self.database: Any = None
        if not rules:
            return
        fast = self._compile_exact(rules)
        if fast is not None:
            self._database, self.modes = fast
            self.database = self._database
            return
        for rule in rules:
            compiled = self._compile_one(rule)
            if compiled is None:
                self.modes[rule.id] = "keywords"
            else:
                self.modes[rule.id] = "prefilter" if compiled[1] & hyperscan.HS_FLAG_PREFILTER else "exact"
        self._database = self.database = self._compile_modes(rules, [self.modes[r.id] for r in rules])

    @classmethod
    def from_database(cls, database: Any, modes: dict[str, str], rules: Sequence[Rule], hyperscan: Any
                      ) -> HyperscanGate:
        gate = cls.__new__(cls)
        gate._hs = hyperscan
        gate._error = hyperscan.error
        gate._fallback = KeywordGate(rules)
        gate._database = gate.database = database
        gate.modes = dict(modes)
        gate._empty = False
        return gate

    def _base_flags(self, rule: Rule) -> int:
        hs = self._hs
        flags: int = hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY
        if rule.ignore_case:
            flags |= hs.HS_FLAG_CASELESS
        if rule.multiline:
            flags |= hs.HS_FLAG_MULTILINE
        return flags

    def _compile_exact(self, rules: Sequence[Rule]) -> tuple[Any, dict[str, str]] | None:
        """The common cases, cheaply, in one compile without per-rule probing: every pattern as it is, or the
        modes guessed from the pattern (a zero-width assertion: prefilter; an embedded start anchor: keywords;
        Hyperscan rejects both, slowly). None when that does not compile (then each rule is probed)."""
        guess = [_guess_mode(rule.gate) for rule in rules]
        try:
            return self._compile_modes(rules, guess), {r.id: mode for r, mode in zip(rules, guess, strict=True)}
        except self._hs.error:
            return None

    def _compile_modes(self, rules: Sequence[Rule], modes: Sequence[str]) -> Any:
        hs = self._hs
        expressions: list[bytes] = []
        ids: list[int] = []
        flags: list[int] = []
        for index, (rule, mode) in enumerate(zip(rules, modes, strict=True)):
            if mode == "keywords":
                for keyword in rule.keyword_bytes:
                    expressions.append(_escape_literal(keyword))
                    ids.append(index)
                    flags.append(hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_CASELESS)
            else:
                expressions.append(rule.gate)
                ids.append(index)
                flags.append(self._base_flags(rule) | (hs.HS_FLAG_PREFILTER if mode == "prefilter" else 0))
        database = hs.Database(mode=hs.HS_MODE_BLOCK)
        database.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        return database

    def _compile_one(self, rule: Rule) -> tuple[bytes, int] | None:
        hs = self._hs
        base = self._base_flags(rule)
        for flag in (base, base | hs.HS_FLAG_PREFILTER):
            try:
                probe = hs.Database(mode=hs.HS_MODE_BLOCK)
                probe.compile(expressions=[rule.gate], ids=[0], elements=1, flags=[flag])
            except hs.error:
                continue
            return rule.gate, flag
        log.debug("rule %s: Hyperscan takes neither the pattern nor its prefilter; keywords gate it", rule.id)
        return None

    def select(self, block: bytes) -> list[int]:
        if self._empty:
            return []
        hits: set[int] = set()

        def on_match(rule_index: int, start: int, end: int, flags: int, context: object) -> None:
            hits.add(rule_index)

        try:
            self._database.scan(block, match_event_handler=on_match)
        except self._error as exc:
            # Never lose a block to a native failure: the keyword gate is a superset too, findings stay equal.
            log.warning("Hyperscan scan failed (%s); this block is gated by keywords", exc)
            return self._fallback.select(block)
        return sorted(hits)


def _guess_mode(gate: bytes) -> str:
    """The gate mode Hyperscan will take `gate` in, from Python's parse of it: a lookahead or lookbehind only
    as a prefilter, a start anchor after the start not at all. A wrong guess only costs time: the compile
    fails and every rule is probed."""
    # The stdlib parser (no stubs: typed Any): exact about what is an assertion or an anchor.
    sre_parse: Any = importlib.import_module("re._parser")
    sre_constants: Any = importlib.import_module("re._constants")

    try:
        top = sre_parse.parse(gate)
    except (re.error, RecursionError, ValueError, OverflowError):
        return "exact"
    starts = (sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING)
    embedded_anchor = any(op == sre_constants.AT and av in starts for op, av in list(top)[1:])
    lookaround = False
    pending = [top]
    while pending:
        for op, av in pending.pop():
            if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                lookaround = True
            for item in av if isinstance(av, (tuple, list)) else (av,):
                if isinstance(item, sre_parse.SubPattern):
                    pending.append(item)
                elif isinstance(item, (tuple, list)):
                    pending.extend(x for x in item if isinstance(x, sre_parse.SubPattern))
    return "keywords" if embedded_anchor else "prefilter" if lookaround else "exact"


def _escape_literal(keyword: bytes) -> bytes:
    return b"".join(b"\\x%02x" % byte for byte in keyword)


_CACHE: dict[tuple[str, tuple[tuple[bytes, bool, bool, tuple[bytes, ...]], ...]], Gate] = {}


def build_gate(rules: Sequence[Rule], engine: str = "auto", cache: BlobStore | None = None) -> Gate:
    """A gate for these rules, compiled once per process (Hyperscan compilation takes a while) and, with a
    cache, kept between runs in a store the caller provides (authenticated: see state/blobs.py)."""
    key = (engine, tuple((r.gate, r.ignore_case, r.multiline, r.keyword_bytes) for r in rules))
    gate = _CACHE.get(key)
    if gate is None:
        gate = _CACHE[key] = _build_gate(rules, engine, cache)
    return gate


def _build_gate(rules: Sequence[Rule], engine: str, cache: BlobStore | None) -> Gate:
    """The Hyperscan gate when available (engine 'auto' or 'hyperscan'), else the pure-Python keyword gate."""
    if engine == "python":
        return KeywordGate(rules)
    try:
        import hyperscan
    except Exception as exc:
        if engine == "hyperscan":
            raise
        log.debug("Hyperscan unavailable (%s); using the pure-Python engine", type(exc).__name__)
        return KeywordGate(rules)
    try:
        cached = load_cached(rules, hyperscan, cache) if cache is not None else None
        if cached is not None:
            return HyperscanGate.from_database(cached.database, cached.modes, rules, hyperscan)
        gate = HyperscanGate(rules, hyperscan)
        if cache is not None and gate.database is not None:
            store_cached(gate.database, gate.modes, rules, hyperscan, cache)
        return gate
    except hyperscan.error as exc:
        if engine == "hyperscan":
            raise
        log.warning("Hyperscan database did not compile (%s); using the pure-Python engine", exc)
        return KeywordGate(rules)
