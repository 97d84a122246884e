"""The benchmark's Markdown report: the detection table with recall by family, severity, encoding, tree
and context, and the corpus summary line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from bench.scoring import Run, Score

# ---------------------------------------------------------------------------------------------------------
# Reporting


def fastest_time(times: Iterable[float]) -> float:
    finite = [t for t in times if math.isfinite(t)]
    return min(finite) if finite else 0.0


def format_seconds(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "failed"


def format_ratio(value: float, fastest: float) -> str:
    return f"{value / fastest:.2f}" if fastest and math.isfinite(value) else "-"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def render_markdown(scores: Sequence[Score], runs: Sequence[Run], corpus_summary: str) -> str:
    fastest = fastest_time(r.seconds for r in runs)
    by_tool = {r.tool: r for r in runs}
    lines = [
        f"Corpus: {corpus_summary}",
        "",
        "| tool | recall | TP/planted | FP | FP on hard negatives | duplicates | precision | F1 | wall s "
        "| x fastest |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        run = by_tool[s.tool]
        lines.append(
            f"| {s.tool} | {s.recall:.1%} | {s.true_positives}/{s.planted} | {s.false_positives} | "
            f"{s.hard_negative_hits} | {s.duplicates} | {s.precision:.1%} | {s.f1:.3f} | "
            f"{format_seconds(run.seconds)} | {format_ratio(run.seconds, fastest)} |"
        )
    for title, attribute in (
        ("family", "recall_by_family"),
        ("severity class", "recall_by_severity"),
        ("encoding", "recall_by_encoding"),
        ("place", "recall_by_context"),
    ):
        lines += [
            "",
            f"Recall by {title}:",
            "",
            "| " + title + " | n | " + " | ".join(s.tool for s in scores) + " |",
            "|---|---|" + "---|" * len(scores),
        ]
        keys = list(getattr(scores[0], attribute)) if scores else []
        for key in keys:
            total = getattr(scores[0], attribute)[key][1]
            cells = [_pct(getattr(s, attribute)[key][0], total) for s in scores]
            lines.append(f"| {key} | {total} | " + " | ".join(cells) + " |")
    kinds = sorted({k for s in scores for k in s.hard_negative_kinds})
    if kinds:
        lines += [
            "",
            "False positives on hard negatives, by kind:",
            "",
            "| kind | " + " | ".join(s.tool for s in scores) + " |",
            "|---|" + "---|" * len(scores),
        ]
        for kind in kinds:
            lines.append(
                f"| {kind} | " + " | ".join(str(s.hard_negative_kinds.get(kind, 0)) for s in scores) + " |"
            )
    problems = [p for r in runs for p in r.problems]
    if problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in problems]
    return "\n".join(lines) + "\n"


def summarize_corpus(manifest: dict[str, Any]) -> str:
    trees = manifest.get("trees", {})
    files = sum(t["files"] for t in trees.values())
    size = sum(t["bytes"] for t in trees.values())
    families = len({s["family"] for s in manifest["secrets"]})
    return (
        f"seed {manifest.get('seed')}, scale {manifest.get('scale')}: {len(manifest['secrets'])} planted "
        f"secrets in {families} families, {len(manifest['negatives'])} hard negatives, {files} files, "
        f"{size / 1e6:.1f} MB"
    )
