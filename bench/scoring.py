"""Benchmark scoring: findings as every tool reports them, matched to the planted secrets and hard
negatives in the corpus manifest by file and line span (pure; tested in tests/test_bench.py).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class ToolFinding:
    """One finding as any tool reports it, normalised: path relative to the tree, forward slashes."""

    tree: str
    path: str
    line: int
    rule: str


@dataclass(frozen=True)
class Span:
    tree: str
    path: str
    line: int
    end_line: int
    label: str  # family for planted secrets, kind for hard negatives
    index: int


@dataclass
class Score:
    """How one tool did against the manifest."""

    tool: str
    planted: int = 0
    true_positives: int = 0
    duplicates: int = 0
    false_positives: int = 0
    hard_negative_hits: int = 0
    findings: int = 0
    recall_by_family: dict[str, tuple[int, int]] = field(default_factory=dict)
    recall_by_severity: dict[str, tuple[int, int]] = field(default_factory=dict)
    recall_by_encoding: dict[str, tuple[int, int]] = field(default_factory=dict)
    recall_by_tree: dict[str, tuple[int, int]] = field(default_factory=dict)
    recall_by_context: dict[str, tuple[int, int]] = field(default_factory=dict)
    hard_negative_kinds: dict[str, int] = field(default_factory=dict)
    false_positive_rules: dict[str, int] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)  # false positives on lines that are not hard negatives

    @property
    def recall(self) -> float:
        return self.true_positives / self.planted if self.planted else 0.0

    @property
    def precision(self) -> float:
        reported = self.true_positives + self.false_positives
        return self.true_positives / reported if reported else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Run:
    tool: str
    seconds: float
    findings: tuple[ToolFinding, ...]
    problems: tuple[str, ...] = ()
    tree_seconds: tuple[tuple[str, float], ...] = ()


# ---------------------------------------------------------------------------------------------------------
# Scoring (pure; tested in tests/test_bench.py)


def load_spans(manifest: dict[str, Any]) -> tuple[list[Span], list[Span]]:
    secrets = [
        Span(s["tree"], s["path"], s["line"], s["end_line"], s["family"], i)
        for i, s in enumerate(manifest["secrets"])
    ]
    negatives = [
        Span(n["tree"], n["path"], n["line"], n["end_line"], n["kind"], i)
        for i, n in enumerate(manifest["negatives"])
    ]
    return secrets, negatives


def _index(spans: Iterable[Span]) -> dict[tuple[str, str], list[Span]]:
    index: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for span in spans:
        index[(span.tree, span.path)].append(span)
    return index


def _containing(spans: list[Span], line: int) -> Span | None:
    for span in spans:
        if span.line <= line <= span.end_line:
            return span
    return None


def score(tool: str, findings: Sequence[ToolFinding], manifest: dict[str, Any]) -> Score:
    """Match findings to planted secrets: same file, start line within the secret's line span.

    A planted secret takes at most one finding; further findings on it are duplicates (not false positives).
    Every other finding is a false positive; those on a hard-negative line are also counted by kind.
    """
    secrets, negatives = load_spans(manifest)
    secret_index, negative_index = _index(secrets), _index(negatives)
    result = Score(tool=tool, planted=len(secrets), findings=len(findings))
    found: set[int] = set()
    for finding in sorted(findings, key=lambda f: (f.tree, f.path, f.line, f.rule)):
        key = _member_key(finding.tree, finding.path, secret_index)
        secret = _containing(secret_index.get(key, []), finding.line)
        if secret is not None:
            if secret.index in found:
                result.duplicates += 1
            else:
                found.add(secret.index)
                result.true_positives += 1
            continue
        result.false_positives += 1
        result.false_positive_rules[finding.rule] = result.false_positive_rules.get(finding.rule, 0) + 1
        negative = _containing(negative_index.get(key, []), finding.line)
        if negative is not None:
            result.hard_negative_hits += 1
            result.hard_negative_kinds[negative.label] = result.hard_negative_kinds.get(negative.label, 0) + 1
        else:
            result.stray.append(f"{finding.tree}/{finding.path}:{finding.line} {finding.rule}")
    groups: dict[str, dict[str, list[int]]] = {
        "family": {},
        "severity": {},
        "encoding": {},
        "tree": {},
        "context": {},
    }
    for i, item in enumerate(manifest["secrets"]):
        for group, table in groups.items():
            value = str(item.get(group, "?"))
            counts = table.setdefault(value, [0, 0])
            counts[1] += 1
            if i in found:
                counts[0] += 1
    result.recall_by_family = {k: (v[0], v[1]) for k, v in sorted(groups["family"].items())}
    result.recall_by_severity = {k: (v[0], v[1]) for k, v in sorted(groups["severity"].items())}
    result.recall_by_encoding = {k: (v[0], v[1]) for k, v in sorted(groups["encoding"].items())}
    result.recall_by_tree = {k: (v[0], v[1]) for k, v in sorted(groups["tree"].items())}
    result.recall_by_context = {k: (v[0], v[1]) for k, v in sorted(groups["context"].items())}
    result.missed = sorted(f"{s.tree}/{s.path}:{s.line} ({s.label})" for s in secrets if s.index not in found)
    return result


def _member_key(tree: str, path: str, index: dict[tuple[str, str], list[Span]]) -> tuple[str, str]:
    """A tool may name a compressed stream's content by the file (`x.ini.gz`); the manifest names it as a
    member (`x.ini.gz!x.ini`), as SecretScanner and Betterleaks name zip and tar members."""
    if (tree, path) not in index and path.endswith((".gz", ".bz2", ".xz")):
        name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if (tree, f"{path}!{name}") in index:
            return (tree, f"{path}!{name}")
    return (tree, path)


def normalise_path(reported: str, tree_root: Path, cwd: Path) -> str | None:
    """A tool's path relative to the tree, with forward slashes; None when it is outside the tree."""
    path = Path(reported.replace("\\", "/"))
    if not path.is_absolute():
        path = cwd / path
    try:
        relative = os.path.relpath(os.path.normpath(path), os.path.normpath(tree_root))
    except ValueError:
        return None
    if relative.startswith(".."):
        return None
    return relative.replace(os.sep, "/")
