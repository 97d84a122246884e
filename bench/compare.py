"""Side-by-side benchmark, the command line: runs SecretScanner and its peers on the corpus trees and scores
them (the tools in bench/tools.py, scoring in bench/scoring.py, the report in bench/report.py, speed runs in
bench/speed.py).

Detection: each tool scans each tree (windows/, linux/, macos/) in one run per tree; findings are matched to
the planted secrets in `manifest.json` by file and line span. Speed (--speed): each tool scans one large tree;
best wall time of N runs, files/s, MB/s and the ratio to the fastest tool.

    python -m bench.compare --corpus bench/out/corpus
    python -m bench.compare --corpus bench/out/corpus --speed --speed-tree bench/out/speed

Peer reports hold the specimen values in clear (their redaction switches also rewrite paths, which breaks
matching), so they are written to a temporary directory that is deleted right after parsing; nothing here
prints or stores a secret value.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.report import render_markdown, summarize_corpus
from bench.scoring import Run, Score, Span, ToolFinding, load_spans, normalise_path, score
from bench.speed import run_speed, tree_size
from bench.tools import (
    ALL_TOOLS,
    TREES,
    Tool,
    build_tools,
    parse_betterleaks,
    parse_gitleaks,
    parse_kingfisher,
    parse_ours,
    run_detection,
    run_tool,
)

# bench/noise.py and tests/test_bench.py reach the report parsers by these names.
_parse_ours, _parse_gitleaks = parse_ours, parse_gitleaks
_parse_betterleaks, _parse_kingfisher = parse_betterleaks, parse_kingfisher

__all__ = [
    "ALL_TOOLS", "TREES", "Run", "Score", "Span", "Tool", "ToolFinding", "build_tools", "load_spans", "main",
    "normalise_path", "render_markdown", "run_detection", "run_speed", "run_tool", "score", "summarize_corpus",
    "tree_size",
]


# ---------------------------------------------------------------------------------------------------------
# Command line


def _score_json(s: Score) -> dict[str, Any]:
    data = asdict(s)
    data.update(recall=s.recall, precision=s.precision, f1=s.f1)
    data["missed"] = s.missed[:300]
    data["stray"] = s.stray[:300]
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark SecretScanner against gitleaks, Betterleaks, Kingfisher"
    )
    parser.add_argument(
        "--corpus", type=Path, help="corpus directory (from bench.corpus); generated if missing"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed when the corpus has to be generated")
    parser.add_argument(
        "--tools", default=",".join(ALL_TOOLS), help="comma-separated: " + ",".join(ALL_TOOLS)
    )
    parser.add_argument(
        "--ours-cmd",
        help="command line for our scanner, e.g. dist/SecretScanner/SecretScanner "
        "(default: this Python, -m secret_scanner)",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="detection runs per tool and tree; best time wins"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds before one tool run is abandoned"
    )
    parser.add_argument("--speed", action="store_true", help="also run the speed benchmark")
    parser.add_argument("--speed-only", action="store_true", help="run only the speed benchmark")
    parser.add_argument("--speed-tree", type=Path, help="tree to time (generated there if it does not exist)")
    parser.add_argument("--speed-files", type=int, default=20_000)
    parser.add_argument("--speed-mb", type=int, default=300)
    parser.add_argument("--speed-repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="where results.json/.md go")
    parser.add_argument(
        "--explain", metavar="TOOL", help="also list TOOL's missed secrets and stray findings"
    )
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.tools.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_TOOLS]
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(unknown)}")
    tools = build_tools(args.ours_cmd)
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"tools": names, "argv": [a for a in (argv or sys.argv[1:])]}
    markdown = ""

    if not args.speed_only:
        corpus = args.corpus or args.out / "corpus"
        if not (corpus / "manifest.json").exists():
            from bench.corpus import generate

            print(f"generating corpus in {corpus} (seed {args.seed})", file=sys.stderr)
            generate(corpus, args.seed)
        manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
        runs = run_detection(tools, names, corpus, args.repeats, args.timeout)
        scores = [score(run.tool, run.findings, manifest) for run in runs]
        markdown += render_markdown(scores, runs, summarize_corpus(manifest))
        for s in scores:
            if s.tool == args.explain:
                markdown += (
                    f"\n{s.tool} missed ({len(s.missed)}):\n"
                    + "".join(f"- {m}\n" for m in s.missed)
                    + f"\n{s.tool} stray findings ({len(s.stray)}):\n"
                    + "".join(f"- {m}\n" for m in s.stray)
                )
        result["corpus"] = {
            "path": str(corpus),
            "summary": summarize_corpus(manifest),
            "seed": manifest.get("seed"),
            "scale": manifest.get("scale"),
        }
        result["detection"] = [
            {
                **_score_json(s),
                "seconds": r.seconds if math.isfinite(r.seconds) else None,
                "tree_seconds": {t: (v if math.isfinite(v) else None) for t, v in r.tree_seconds},
                "problems": list(r.problems),
            }
            for s, r in zip(scores, runs, strict=True)
        ]

    if args.speed or args.speed_only:
        tree = args.speed_tree or args.out / "speed"
        if not tree.exists():
            from bench.corpus import generate_speed_tree

            print(f"generating speed tree in {tree}", file=sys.stderr)
            generate_speed_tree(tree, args.seed, args.speed_files, args.speed_mb)
        rows, speed_md = run_speed(tools, names, tree, args.speed_repeats, args.timeout)
        markdown += "\n" + speed_md
        result["speed"] = {"tree": str(tree), "rows": rows}

    (args.out / "results.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
