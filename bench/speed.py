"""The speed benchmark: each tool scans one large tree; best wall time of N runs, files/s, MB/s and the
ratio to the fastest tool.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.report import fastest_time, format_ratio, format_seconds
from bench.tools import Tool, run_tool

# ---------------------------------------------------------------------------------------------------------
# Speed


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for directory, _, names in os.walk(root):
        for name in names:
            try:
                size += os.lstat(os.path.join(directory, name)).st_size
                files += 1
            except OSError:
                continue
    return files, size


def run_speed(
    tools: dict[str, Tool], names: Sequence[str], tree: Path, repeats: int, timeout: float
) -> tuple[list[dict[str, Any]], str]:
    files, size = tree_size(tree)
    rows: list[dict[str, Any]] = []
    for name in names:
        seconds, raw, problems, _ = run_tool(tools[name], tree.resolve(), repeats, timeout)
        rows.append(
            {
                "tool": name,
                "seconds": seconds if math.isfinite(seconds) else None,
                "files_per_s": files / seconds if seconds and math.isfinite(seconds) else 0.0,
                "mb_per_s": size / 1e6 / seconds if seconds and math.isfinite(seconds) else 0.0,
                "findings": len(raw),
                "problems": problems,
            }
        )
        print(f"  speed {name}: {format_seconds(seconds)}s", file=sys.stderr)
    fastest = fastest_time(r["seconds"] for r in rows if r["seconds"] is not None)
    lines = [
        f"Speed tree: {files} files, {size / 1e6:.0f} MB; best of {repeats} run(s)",
        "",
        "| tool | wall s | files/s | MB/s | x fastest | findings |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        seconds = row["seconds"] if row["seconds"] is not None else math.inf
        row["ratio"] = seconds / fastest if fastest and math.isfinite(seconds) else None
        lines.append(
            f"| {row['tool']} | {format_seconds(seconds)} | {row['files_per_s']:.0f} | {row['mb_per_s']:.1f} | "
            f"{format_ratio(seconds, fastest)} | {row['findings']} |"
        )
    for row in rows:
        lines += [f"- {p}" for p in row["problems"]]
    return rows, "\n".join(lines) + "\n"
