"""The detection engine: walks the roots, reads each file once, gates rules in one multi-pattern pass, finds
matches with Python `re`, filters them, and turns each into a redacted Finding at once.

Flow per file: size check -> sniff the first 8 KiB (binary heuristic, BOM/UTF-16) -> UTF-8 blocks of up to
4 MiB with 8 KiB of context on each side -> gate (Hyperscan or keywords) -> `re.finditer` for the fired rules
only -> keyword-near check, per-rule filters, validators, placeholder filters -> Finding (fingerprint +
redacted preview; the raw value goes out of scope) -> per file: overlaps resolved, pairs merged.
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from secret_scanner import decoder, noise, validator
from secret_scanner import filter as match_filter
from secret_scanner.finding import Finding, ScanResult, ScanStats, meets_threshold
from secret_scanner.matcher import Gate, build_gate
from secret_scanner.redaction import Fingerprinter, redact
from secret_scanner.rule import KEYWORD_WINDOW, MAX_MATCH_BYTES, Rule, rank_severity
from secret_scanner.walker import FileEntry, WalkReport, iter_files

log = logging.getLogger(__name__)

CHUNK_BYTES = 4 * 1024 * 1024
# Left context: lookbehinds and `^` see the real text before a block. Right margin: a match that starts in a
# block's own region ends inside the block (a match that reaches the block's end is a cut-off artifact), and
# so do the keyword windows of next-block matches that overlap it (both engines resume the next block alike).
LEFT_CONTEXT = MAX_MATCH_BYTES
RIGHT_MARGIN = 2 * MAX_MATCH_BYTES + KEYWORD_WINDOW
_OPEN_FLAGS = os.O_RDONLY | sum(getattr(os, flag, 0) for flag in ("O_BINARY", "O_NOFOLLOW", "O_NONBLOCK",
                                                                     "O_NOCTTY"))


@dataclass(frozen=True)
class ScanOptions:
    roots: tuple[Path, ...]
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = 50 * 1024 * 1024
    time_budget_seconds: float | None = None
    # "auto" (Hyperscan when it loads), "hyperscan" or "python"; None rules = the shipped catalog.
    engine: str = "auto"
    rules: tuple[Rule, ...] | None = None
    # Where the compiled Hyperscan database is kept between runs (the state directory); None: no cache.
    cache_dir: Path | None = None
    # What is reported (h-noise): findings under either floor are only counted in stats.below_threshold. The
    # library reports everything; the CLI and the fleet config default to finding.DEFAULT_MIN_CONFIDENCE.
    min_confidence: str = "low"
    min_severity: str = "low"


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


class _Stopped(Exception):
    """Raised between blocks of a large file when the time budget or a stop request ends the scan."""


class Engine:
    """Rules compiled once; scans files or in-memory bytes (the same code path) into findings."""

    def __init__(self, rules: Sequence[Rule], fingerprinter: Fingerprinter, engine: str = "auto",
                 cache_dir: Path | None = None, keep_samples: bool = False) -> None:
        self.rules = tuple(rules)
        # Published sample values (AWS docs keys, the Azurite key): dropped, or kept at low confidence with a note.
        self._keep_samples = keep_samples
        self._fingerprinter = fingerprinter
        self._gate: Gate = build_gate(self.rules, engine, cache_dir)
        self.name = self._gate.name
        self._index = {rule.id: i for i, rule in enumerate(self.rules)}
        self._path_rules = [i for i, rule in enumerate(self.rules) if rule.path_regexes]

    # -- entry points -------------------------------------------------------------------------------------

    def scan_bytes(self, data: bytes, path: str) -> list[Finding]:
        """Scan an in-memory file (self-test, tests): same sniffing, blocks and filters as a file on disk."""
        try:
            return self.scan_handle(io.BytesIO(data), path)
        except _SkippedBinary:
            return []

    def scan_file(self, path: str, keep_going: Callable[[], bool] | None = None) -> list[Finding]:
        # O_NOFOLLOW + fstat: a file swapped for a symlink or a FIFO after the walk saw it is not read (a FIFO
        # would block forever); O_NONBLOCK makes opening a FIFO return at once.
        descriptor = os.open(path, _OPEN_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise _SkippedBinary
            handle = os.fdopen(descriptor, "rb")
        except BaseException:
            os.close(descriptor)
            raise
        with handle:
            return self.scan_handle(handle, path, keep_going)

    def scan_handle(self, handle: BinaryIO, path: str, keep_going: Callable[[], bool] | None = None
                    ) -> list[Finding]:
        """Findings of one file. If keep_going() turns false between blocks, raises _StoppedWith (findings
        so far); a binary file no rule is written for raises _SkippedBinary."""
        # Sniff from a small first read: a binary file (a photo, a video) costs 8 KiB of I/O, not 4 MiB.
        first = handle.read(decoder.SNIFF_BYTES)
        encoding = decoder.sniff(first)
        allowed: frozenset[int] | None = None
        lower_path = path.replace("\\", "/").lower()
        if encoding.is_binary:
            # Binary files are scanned only by rules written for them: path_patterns that name the file.
            allowed = frozenset(i for i in self._path_rules if self.rules[i].applies_to(lower_path))
            if not allowed:
                raise _SkippedBinary
            encoding = decoder.UTF8
        if len(first) == decoder.SNIFF_BYTES:
            first += handle.read(CHUNK_BYTES + RIGHT_MARGIN - len(first))
        hits: list[_Hit] = []
        vetoes: list[_Veto] = []
        try:
            for block in _split_blocks(first, handle, encoding, keep_going):
                self._scan_block(block, path, lower_path, allowed, hits, vetoes)
        except _Stopped:
            raise _StoppedWith(self._resolve(hits, vetoes)) from None
        return self._resolve(hits, vetoes)

    # -- one block ----------------------------------------------------------------------------------------

    def _scan_block(self, block: _Block, path: str, lower_path: str, allowed: frozenset[int] | None,
                    hits: list[_Hit], vetoes: list[_Veto]) -> None:
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
                finding = self._build_finding(rule, data[start:end], path, block, start)
                if finding is not None:
                    finding = noise.assess(finding, rule, data, start, end)
                if finding is not None:
                    hits.append(_Hit(index, block.base + start, block.base + end, finding))
                elif not rule.generic and _is_known_fake(rule, data[start:end]):
                    vetoes.append(_Veto(block.base + start, block.base + end))

    def _build_finding(self, rule: Rule, raw: bytes, path: str, block: _Block, offset: int) -> Finding | None:
        secret = _canonicalize(decoder.to_text(raw).rstrip("\r"))
        sample = noise.name_published_sample(secret) if self._keep_samples else None
        if sample is None and not (_passes_filters(rule, secret) and noise.passes_noise_filters(rule, secret)):
            return None
        line, column = block.position(offset)
        # The raw value ends here: only its keyed fingerprint, a redacted preview and its length leave.
        return noise.mark_sample(Finding(
            rule_id=rule.id, title=rule.title, severity=rule.severity, confidence=rule.confidence, path=path,
            line=line, column=column, fingerprint=self._fingerprinter.fingerprint(secret),
            redacted=redact(secret), length=len(secret), description=rule.description,
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
            # A published sample (h-noise: it carries a note) is nobody's partner: a live secret next to
            # AWS's documentation key ID is still live.
            partners = [other for other in hits if other.rule_index == partner_index
                        and abs(other.finding.line - line) <= pair.within_lines and not other.finding.note]
            if not partners:
                continue
            partner = min(partners, key=lambda other: (abs(other.finding.line - line), other.start))
            consumed.add(id(partner))
            severity = max(hit.finding.severity, partner.finding.severity, key=rank_severity)
            # A pair is strong evidence, unless this half was lowered for its value or place (h-noise).
            confidence = "low" if hit.finding.note else "high"
            findings[id(hit)] = dataclasses.replace(hit.finding, confidence=confidence, severity=severity)
        return [findings[id(hit)] for hit in hits if id(hit) not in consumed]


class _SkippedBinary(Exception):
    """The file is binary and no rule is written for it."""


class _StoppedWith(Exception):
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


# -- blocks ----------------------------------------------------------------------------------------------


@dataclass
class _Block:
    """A window of the file's UTF-8 text: `data` starts at absolute offset `base`; matches must start in
    [own_start, own_end). `resume` carries, per rule, where the previous block's last match ended."""

    data: bytes
    base: int
    own_start: int
    own_end: int
    final: bool
    lines_before: int
    chars_before: int  # characters between the last newline before `base` and `base`
    resume: dict[int, int]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and 1-based column in characters of the decoded text."""
        data = self.data
        line = self.lines_before + data.count(b"\n", 0, offset) + 1
        newline = data.rfind(b"\n", 0, offset)
        if newline >= 0:
            return line, decoder.count_chars(data[newline + 1:offset]) + 1
        return line, self.chars_before + decoder.count_chars(data[:offset]) + 1


def _read_utf8(first: bytes, handle: BinaryIO, encoding: decoder.Encoding) -> Iterator[bytes]:
    """The file's text as UTF-8 pieces: BOM skipped, UTF-16 transcoded incrementally."""
    transcode = decoder.make_transcoder(encoding)
    piece = first[encoding.skip:]
    if transcode is None and len(first) < CHUNK_BYTES + RIGHT_MARGIN:
        yield piece  # the whole file came in the first read: no second read just to see the end
        return
    while True:
        if transcode is None:
            if piece:
                yield piece
        else:
            text = transcode.decode(piece, final=not piece)
            if text:
                yield text.encode("utf-8", "surrogatepass")
            if not piece:
                return
        if not piece:
            return
        piece = handle.read(CHUNK_BYTES)


def _split_blocks(first: bytes, handle: BinaryIO, encoding: decoder.Encoding,
            keep_going: Callable[[], bool] | None) -> Iterator[_Block]:
    buffer = b""
    base = 0
    own_start = 0
    lines_before = 0
    chars_before = 0
    resume: dict[int, int] = {}
    for piece in _read_utf8(first, handle, encoding):
        buffer = buffer + piece if buffer else piece
        while len(buffer) - own_start >= CHUNK_BYTES + RIGHT_MARGIN:
            own_end = own_start + CHUNK_BYTES
            yield _Block(buffer[:own_end + RIGHT_MARGIN], base, own_start, own_end, False, lines_before,
                         chars_before, resume)
            if keep_going is not None and not keep_going():
                raise _Stopped
            cut = own_end - LEFT_CONTEXT
            consumed = buffer[:cut]
            lines_before += consumed.count(b"\n")
            newline = consumed.rfind(b"\n")
            if newline >= 0:
                chars_before = decoder.count_chars(consumed[newline + 1:])
            else:
                chars_before += decoder.count_chars(consumed)
            buffer = buffer[cut:]
            base += cut
            own_start = LEFT_CONTEXT
    yield _Block(buffer, base, own_start, len(buffer), True, lines_before, chars_before, resume)


# -- whole scan ------------------------------------------------------------------------------------------


def scan(options: ScanOptions, fingerprinter: Fingerprinter,
         should_stop: Callable[[], bool] | None = None) -> ScanResult:
    """Scan every file under options.roots; stops early (complete=False) on the time budget or should_stop."""
    started = time.monotonic()
    if options.rules is None:
        from secret_scanner.catalog import load_rules

        rules: tuple[Rule, ...] = load_rules()
    else:
        rules = options.rules
    engine = Engine(rules, fingerprinter, options.engine, options.cache_dir, keep_samples=True)
    deadline = started + options.time_budget_seconds if options.time_budget_seconds is not None else None
    stop_reason: list[str] = []
    scanned = 0

    def keep_going() -> bool:
        if stop_reason:
            return False
        if should_stop is not None and should_stop():
            stop_reason.append("stopped by signal")
        elif deadline is not None and time.monotonic() >= deadline:
            budget = options.time_budget_seconds
            stop_reason.append(f"time budget of {budget:g} s exhausted after {scanned} files")
        return not stop_reason

    walk = WalkReport()
    findings: list[Finding] = []
    skipped = 0
    read_errors = 0
    bytes_scanned = 0
    for entry in iter_files(options.roots, options.exclude, walk):
        if not keep_going():
            break
        if entry.size > options.max_file_bytes:
            skipped += 1
            continue
        outcome = _scan_entry(engine, entry, keep_going)
        if outcome.unreadable:
            read_errors += 1
        elif outcome.binary:
            skipped += 1
        else:
            findings.extend(outcome.findings)
            scanned += 1
            bytes_scanned += entry.size
            if outcome.stopped:
                break
    reasons = list(stop_reason)
    reasons.extend(f"cannot read root {root}" for root in walk.unreadable_roots)
    reported = [f for f in findings if meets_threshold(f, options.min_confidence, options.min_severity)]
    stats = ScanStats(
        roots=tuple(os.fspath(root) for root in options.roots),
        files_scanned=scanned,
        files_skipped=skipped + walk.skipped,
        bytes_scanned=bytes_scanned,
        read_errors=read_errors + walk.read_errors,
        duration_seconds=time.monotonic() - started,
        engine=engine.name,
        below_threshold=len(findings) - len(reported),
    )
    return ScanResult(tuple(sorted(reported, key=Finding.sort_key)), stats, complete=not reasons,
                      incomplete_reasons=tuple(reasons))


@dataclass(frozen=True)
class _FileOutcome:
    findings: tuple[Finding, ...] = ()
    stopped: bool = False
    binary: bool = False
    unreadable: bool = False


def _scan_entry(engine: Engine, entry: FileEntry, keep_going: Callable[[], bool]) -> _FileOutcome:
    try:
        if entry.size == 0:
            return _FileOutcome()
        return _FileOutcome(tuple(engine.scan_file(entry.path, keep_going)))
    except _SkippedBinary:
        return _FileOutcome(binary=True)
    except _StoppedWith as stopped:
        return _FileOutcome(tuple(stopped.findings), stopped=True)
    except OSError as exc:
        log.debug("cannot read %s: %s", entry.path, exc.strerror or type(exc).__name__)
        return _FileOutcome(unreadable=True)
