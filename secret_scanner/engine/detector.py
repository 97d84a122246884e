"""Per-file detection: sniff, read blocks, gate rules, run the fired patterns, filter, and build redacted findings.

Flow per file: sniff the first 8 KiB (binary heuristic, BOM/UTF-16) -> UTF-8 blocks (blocks.py) -> gate
(Hyperscan or keywords) -> `re.finditer` for the fired rules only -> keyword-near check, per-rule filters,
validators, placeholder filters -> Finding (fingerprint + redacted preview; the raw value goes out of scope)
-> per file: vetoes, overlaps resolved, pairs merged.
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, cast

from secret_scanner.catalog import validators as validator
from secret_scanner.catalog.rule import KEYWORD_WINDOW, Rule
from secret_scanner.engine import decoding as decoder
from secret_scanner.engine import filters as match_filter
from secret_scanner.engine import noise, suppression
from secret_scanner.engine.blocks import CHUNK_BYTES, RIGHT_MARGIN, Block, Stopped, split_blocks
from secret_scanner.engine.bounded import BoundedReader, TruncatedWith
from secret_scanner.engine.faults import Fault, FaultedWith, fault_of
from secret_scanner.engine.gate import Gate, build_gate
from secret_scanner.engine.gate_cache import BlobStore
from secret_scanner.engine.identity import Fingerprinter, redact
from secret_scanner.model import Confidence, Finding

_OPEN_FLAGS = os.O_RDONLY | sum(getattr(os, flag, 0) for flag in ("O_BINARY", "O_NOFOLLOW", "O_NONBLOCK",
                                                                     "O_NOCTTY"))

@dataclass(frozen=True)
class _Hit:
    rule_index: int
    start: int
    end: int
    finding: Finding


@dataclass(frozen=True)
class _Veto:
    """A span a specific rule recognised and rejected (bad checksum, known fake): generic rules keep off."""

    start: int
    end: int

class Engine:
    """Rules compiled once; scans files or in-memory bytes (the same code path) into findings."""

    def __init__(self, rules: Sequence[Rule], fingerprinter: Fingerprinter, engine: str = "auto",
                 cache: BlobStore | None = None, keep_samples: bool = False) -> None:
        self.rules = tuple(rules)
        # Published sample values (AWS docs keys, the Azurite key): dropped, or kept at low confidence with a note.
        self._keep_samples = keep_samples
        self._fingerprinter = fingerprinter
        self._gate: Gate = build_gate(self.rules, engine, cache)
        self.name = self._gate.name
        self._index = {rule.id: i for i, rule in enumerate(self.rules)}
        self._path_rules = [i for i, rule in enumerate(self.rules) if rule.path_regexes]

    # -- entry points -------------------------------------------------------------------------------------

    def scan_bytes(self, data: bytes, path: str) -> list[Finding]:
        """Scan an in-memory file (self-test, tests): same sniffing, blocks and filters as a file on disk."""
        try:
            return self.scan_handle(io.BytesIO(data), path)
        except SkippedBinary:
            return []

    def scan_file(self, path: str, keep_going: Callable[[], bool] | None = None,
                  max_bytes: int | None = None) -> list[Finding]:
        # O_NOFOLLOW + fstat: a file swapped for a symlink or a FIFO after the walk saw it is not read (a FIFO
        # would block forever); O_NONBLOCK makes opening a FIFO return at once.
        descriptor = os.open(path, _OPEN_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise SkippedBinary
            handle = os.fdopen(descriptor, "rb")
        except BaseException:
            os.close(descriptor)
            raise
        with handle:
            if max_bytes is None:
                return self.scan_handle(handle, path, keep_going)
            # Never past max_bytes, whatever the file grows to while read (bounded.py).
            bounded = BoundedReader(handle, max_bytes)
            found = self.scan_handle(cast(BinaryIO, bounded), path, keep_going)
            if bounded.truncated:
                raise TruncatedWith(list(found))
            return found

    def scan_handle(self, handle: BinaryIO, path: str, keep_going: Callable[[], bool] | None = None
                    ) -> list[Finding]:
        """Findings of one file. If keep_going() turns false between blocks, raises StoppedWith (findings
        so far); a binary file no rule is written for raises SkippedBinary."""
        # Sniff from a small first read: a binary file (a photo, a video) costs 8 KiB of I/O, not 4 MiB.
        first = handle.read(decoder.SNIFF_BYTES)
        encoding = decoder.sniff(first)
        allowed: frozenset[int] | None = None
        # An archive member (`backup.zip!.pgpass`) is a file of its own to path-bound rules: `!` splits like `/`.
        lower_path = path.replace("\\", "/").replace("!", "/").lower()
        if encoding.is_binary:
            # Binary files are scanned only by rules written for them: path_patterns that name the file.
            allowed = frozenset(i for i in self._path_rules if self.rules[i].applies_to(lower_path))
            if not allowed:
                raise SkippedBinary
            encoding = decoder.UTF8
        if len(first) == decoder.SNIFF_BYTES:
            first += handle.read(CHUNK_BYTES + RIGHT_MARGIN - len(first))
        hits: list[_Hit] = []
        vetoes: list[_Veto] = []
        faults: list[Fault] = []
        try:
            for block in split_blocks(first, handle, encoding, keep_going):
                self._scan_block(block, path, lower_path, allowed, hits, vetoes, faults)
        except Stopped:
            raise StoppedWith(self._resolve(hits, vetoes)) from None
        if faults:  # the file's other findings still count; the faults are its errors (faults.py)
            raise FaultedWith(list(self._resolve(hits, vetoes)), faults)
        return self._resolve(hits, vetoes)

    # -- one block ----------------------------------------------------------------------------------------

    def _scan_block(self, block: Block, path: str, lower_path: str, allowed: frozenset[int] | None,
                    hits: list[_Hit], vetoes: list[_Veto], faults: list[Fault]) -> None:
        data = block.data
        # Binary files: only the rules written for that file name run, ungated (both engines alike).
        fired = sorted(allowed) if allowed is not None else self._gate.select(data)
        for index in fired:
            rule = self.rules[index]
            if rule.path_regexes and not rule.applies_to(lower_path):
                continue
            position = max(block.own_start, block.resume.get(index, 0) - block.base)
            for match in rule.regex.finditer(data, position):
                if match.start() >= block.own_end:
                    break
                if not block.final and match.end() >= len(data):
                    break
                block.resume[index] = block.base + match.end()
                start, end = match.span(1)
                if start < 0 or start == end or (
                        allowed is None and not _has_keyword_near(data, match.start(), match.end(), rule)):
                    continue
                try:
                    finding = self._build_finding(rule, data[start:end], path, block, start)
                    if finding is not None:
                        finding = noise.assess(finding, rule, data, start, end)
                    if finding is not None:
                        hits.append(_Hit(index, block.base + start, block.base + end, finding))
                    elif not rule.generic and _is_known_fake(rule, data[start:end]):
                        vetoes.append(_Veto(block.base + start, block.base + end))
                except Exception as exc:
                    faults.append(fault_of(exc, rule.id))

    def _build_finding(self, rule: Rule, raw: bytes, path: str, block: Block, offset: int) -> Finding | None:
        secret = _canonicalize(decoder.to_text(raw).rstrip("\r"))
        sample = noise.name_published_sample(secret) if self._keep_samples else None
        if sample is None and not (_passes_filters(rule, secret) and noise.passes_noise_filters(rule, secret)):
            return None
        line, column = block.position(offset)
        marked = suppression.has_allow_marker(block.data, offset, offset + len(raw))
        # The raw value ends here: only its keyed fingerprint, a redacted preview and its length leave.
        return noise.mark_sample(Finding(
            rule_id=rule.id, title=rule.title, severity=rule.severity, confidence=rule.confidence, path=path,
            line=line, column=column, fingerprint=self._fingerprinter.fingerprint(secret),
            redacted=redact(secret), length=len(secret), description=rule.description,
            suppressed=suppression.INLINE if marked else "",
        ), sample)

    # -- per file -----------------------------------------------------------------------------------------

    def _resolve(self, hits: list[_Hit], vetoes: list[_Veto]) -> list[Finding]:
        if vetoes:
            hits = [hit for hit in hits if not (self.rules[hit.rule_index].generic and any(
                veto.start < hit.end and hit.start < veto.end for veto in vetoes))]
        if not hits:
            return []
        kept = _drop_overlaps(hits, self.rules)
        return self._merge_pairs(kept)

    def _merge_pairs(self, hits: list[_Hit]) -> list[Finding]:
        findings = {id(hit): hit.finding for hit in hits}
        consumed: set[int] = set()
        for hit in hits:
            pair = self.rules[hit.rule_index].pair
            if pair is None or pair.rule not in self._index:
                continue
            partner_index = self._index[pair.rule]
            line = hit.finding.line
            # A published sample (it carries a note) is nobody's partner: a live secret next to AWS's
            # documentation key ID is still live.
            partners = [other for other in hits if other.rule_index == partner_index
                        and abs(other.finding.line - line) <= pair.within_lines and not other.finding.note]
            if not partners:
                continue
            partner = min(partners, key=lambda other: (abs(other.finding.line - line), other.start))
            consumed.add(id(partner))
            severity = max(hit.finding.severity, partner.finding.severity, key=lambda s: s.rank)
            # A pair is strong evidence, unless this half was lowered for its value or place.
            confidence = Confidence.LOW if hit.finding.note else Confidence.HIGH
            findings[id(hit)] = dataclasses.replace(hit.finding, confidence=confidence, severity=severity)
        return [findings[id(hit)] for hit in hits if id(hit) not in consumed]


class SkippedBinary(Exception):
    """The file is binary and no rule is written for it."""


class StoppedWith(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("scan stopped")
        self.findings = findings


def _canonicalize(secret: str) -> str:
    """One identity for one key: a PEM block fingerprints the same JSON-escaped, CRLF or LF."""
    if secret.startswith(("-----BEGIN", "PuTTY-User-Key-File")):
        return secret.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\/", "/").replace("\r\n", "\n")
    return secret


def _has_keyword_near(data: bytes, start: int, end: int, rule: Rule) -> bool:
    # The contract both gates rely on: a match has a keyword in it or within KEYWORD_WINDOW bytes of it.
    window = data[max(0, start - KEYWORD_WINDOW):end + KEYWORD_WINDOW].lower()
    return any(keyword in window for keyword in rule.keyword_bytes)


def _is_known_fake(rule: Rule, raw: bytes) -> bool:
    """Rejected by the rule's own knowledge of the format (checksum, allow-list), not by a loose threshold."""
    secret = _canonicalize(decoder.to_text(raw).rstrip("\r"))
    if rule.validator is not None and not validator.validate(rule.validator, secret):
        return True
    return bool(rule.allow_regexes) and match_filter.matches_allow_pattern(secret, rule.allow_regexes)


def _passes_filters(rule: Rule, secret: str) -> bool:
    if rule.generic and match_filter.has_provider_prefix(secret):
        return False
    if rule.min_entropy is not None and match_filter.measure_entropy(secret) < rule.min_entropy:
        return False
    if rule.stopwords and match_filter.contains_stopword(secret, rule.stopwords):
        return False
    if rule.allow_regexes and match_filter.matches_allow_pattern(secret, rule.allow_regexes):
        return False
    if rule.validator is not None and not validator.validate(rule.validator, secret):
        return False
    return not (rule.placeholder_filter and match_filter.detect_placeholder(secret) is not None)


def _drop_overlaps(hits: list[_Hit], rules: Sequence[Rule]) -> list[_Hit]:
    """Where secrets of different rules overlap, keep one: specific over generic, confidence, severity."""
    if len(hits) == 1:
        return hits
    ordered = sorted(hits, key=lambda h: (tuple(-r for r in rules[h.rule_index].rank), h.start, h.rule_index))
    starts: list[int] = []
    accepted: list[_Hit] = []
    for hit in ordered:
        slot = bisect.bisect_right(starts, hit.start)
        if slot > 0 and accepted[slot - 1].end > hit.start:
            continue
        if slot < len(accepted) and accepted[slot].start < hit.end:
            continue
        starts.insert(slot, hit.start)
        accepted.insert(slot, hit)
    return accepted
