"""The noise benchmark (issue #8): SecretScanner and Kingfisher side by side on real third-party code.

    python -m bench.noise --out bench/out/noise [--cache DIR] [--skip-fetch] [--no-large]

builds three trees from the package registries (`noise_fetch.py`: PyPI, npm, Debian), with the directories
our walker prunes by name renamed, runs both tools on each tree, and writes `results.md` and `results.json`:
findings per tree and tool, per rule, and the list of Kingfisher's private keys and provider-format tokens
that we do not report at our defaults (the target is an empty list). Peer reports hold values in clear: they
are written to a temporary directory and deleted right after parsing; our outputs hold paths, lines and rule
ids only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import compare, noise_fetch
from bench.speed import tree_size

# Our confidence ranks: a finding is reported at threshold T when its confidence ranks >= T.
_RANK = {"low": 0, "medium": 1, "high": 2}
# Kingfisher rules that recognise a value by its keyword or place, not by a provider's format: a finding of one
# of these is compared by count only; every other Kingfisher finding (private keys, provider-format tokens)
# must be found by us too.
_PEER_CONTEXT_RULE = re.compile(
    r"generic|password|passwd|jwt|credential-uri|curl-auth|basic-auth|bearer|connection-string|secret-yaml|"
    r"-url\b|\.url\b|uri\b", re.IGNORECASE)
# A peer finding and ours are the same secret when they are in one file within this many lines (PEM blocks:
# tools report the BEGIN line or the first base64 line).
_LINE_SLACK = 3


@dataclass(frozen=True)
class Hit:
    tree: str
    path: str
    line: int
    rule: str
    confidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class TreeRun:
    tree: str
    tool: str
    seconds: float
    hits: tuple[Hit, ...]
    problems: tuple[str, ...]


def is_peer_must_find(rule_id: str) -> bool:
    """Kingfisher findings we must match: private keys and provider-format tokens, not generic matches."""
    return _PEER_CONTEXT_RULE.search(rule_id) is None


def at_threshold(hits: Sequence[Hit], threshold: str) -> list[Hit]:
    floor = _RANK[threshold]
    return [hit for hit in hits if _RANK.get(hit.confidence, 0) >= floor]


def find_missed(peer: Sequence[Hit], ours: Sequence[Hit], slack: int = _LINE_SLACK) -> list[Hit]:
    """Peer findings of must-find rules with none of ours in the same tree and file within `slack` lines."""
    where: dict[tuple[str, str], list[int]] = {}
    for hit in ours:
        where.setdefault((hit.tree, hit.path), []).append(hit.line)
    missed = []
    for hit in peer:
        if not is_peer_must_find(hit.rule):
            continue
        lines = where.get((hit.tree, hit.path), [])
        if not any(abs(line - hit.line) <= slack for line in lines):
            missed.append(hit)
    return sorted(missed, key=lambda h: (h.tree, h.path, h.line))


def explain_miss(miss: Hit, ours_all: Sequence[Hit], slack: int = _LINE_SLACK) -> str:
    """What we did with a peer finding we do not report: found below the threshold (and why), or nothing."""
    near = [h for h in ours_all if (h.tree, h.path) == (miss.tree, miss.path) and abs(h.line - miss.line) <= slack]
    if not near:
        return "not found by us"
    hit = near[0]
    return f"ours: {hit.rule}, {hit.confidence}" + (f" ({hit.note})" if hit.note else "")


def _ours_argv(prefix: Sequence[str], target: Path, report: Path, scratch: Path) -> list[str]:
    # Every confidence is reported (low and up): the table shows our default threshold and what it hides.
    return [*prefix, "--scan", "--path", str(target), "--report", str(report), "--state-dir",
            str(scratch / "state"), "--quiet", "--min-confidence", "low"]


def _parse_ours(tree: str, root: Path, data: Any) -> list[Hit]:
    return [Hit(tree, _relative(f["path"], root), int(f["line"]), f["rule_id"], f["confidence"], f.get("note", ""))
            for f in data.get("findings", [])]


def _parse_kingfisher(tree: str, root: Path, data: Any) -> list[Hit]:
    return [Hit(tree, _relative(path, root), line, rule)
            for path, line, rule in compare._parse_kingfisher(data)]


def _relative(path: str, root: Path) -> str:
    relative = compare.normalise_path(path, root, root)
    return relative if relative is not None else path


def run_tool(tool: str, argv_for: Callable[[Path, Path, Path], list[str]],
             parse: Callable[[str, Path, Any], list[Hit]], tree: str, root: Path, timeout: float) -> TreeRun:
    with tempfile.TemporaryDirectory(prefix=f"noise-{tool}-") as scratch_name:
        scratch = Path(scratch_name)
        report = scratch / "report.json"
        started = time.perf_counter()
        completed = subprocess.run(argv_for(root, report, scratch), cwd=scratch, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, timeout=timeout, check=False)
        seconds = time.perf_counter() - started
        if not report.exists():
            tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
            return TreeRun(tree, tool, seconds, (), (f"{tool} on {tree}: exit {completed.returncode}, no "
                                                     f"report: {' | '.join(t[:200] for t in tail)}",))
        hits = parse(tree, root, json.loads(report.read_text(encoding="utf-8")))
    print(f"  {tool} on {tree}: {len(hits)} findings in {seconds:.1f}s", file=sys.stderr)
    return TreeRun(tree, tool, seconds, tuple(hits), ())


def render_markdown(runs: Sequence[TreeRun], sizes: dict[str, tuple[int, int]], threshold: str,
                    missed: Sequence[Hit]) -> str:
    ours_all = [h for r in runs if r.tool == "ours" for h in r.hits]
    trees = list(sizes)
    ours = {r.tree: list(r.hits) for r in runs if r.tool == "ours"}
    peer = {r.tree: list(r.hits) for r in runs if r.tool == "kingfisher"}
    lines = [f"Our default threshold: confidence >= {threshold}.", "",
             "| tree | files | MB | ours (default) | ours (all, low+) | kingfisher |", "|---|---|---|---|---|---|"]
    totals = [0, 0, 0, 0, 0]
    for tree in trees:
        files, size = sizes[tree]
        row = [files, size, len(at_threshold(ours.get(tree, []), threshold)), len(ours.get(tree, [])),
               len(peer.get(tree, []))]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        lines.append(f"| {tree} | {row[0]:,} | {row[1] / 1e6:.0f} | {row[2]} | {row[3]} | {row[4]} |")
    lines.append(f"| **total** | {totals[0]:,} | {totals[1] / 1e6:.0f} | **{totals[2]}** | {totals[3]} | "
                 f"**{totals[4]}** |")
    lines += ["", "Per rule (ours: findings at the default threshold / all; kingfisher: findings):", "",
              "| tool | rule | " + " | ".join(trees) + " | total |", "|---|---|" + "---|" * (len(trees) + 1)]
    for tool, by_tree in (("ours", ours), ("kingfisher", peer)):
        rules = sorted({hit.rule for hits in by_tree.values() for hit in hits})
        rows = []
        for rule in rules:
            cells = []
            total_shown = total_all = 0
            for tree in trees:
                all_hits = [h for h in by_tree.get(tree, []) if h.rule == rule]
                shown = len(at_threshold(all_hits, threshold)) if tool == "ours" else len(all_hits)
                total_shown += shown
                total_all += len(all_hits)
                cells.append(f"{shown}/{len(all_hits)}" if tool == "ours" else str(shown))
            total = f"{total_shown}/{total_all}" if tool == "ours" else str(total_all)
            rows.append((-total_all, f"| {tool} | {rule} | " + " | ".join(cells) + f" | {total} |"))
        lines += [row for _, row in sorted(rows)]
    lines += ["", f"Kingfisher's private keys and provider-format tokens we do not report at the default "
                  f"threshold: {len(missed)}", ""]
    lines += [f"- {hit.tree}/{hit.path}:{hit.line} ({hit.rule}; {explain_miss(hit, ours_all)})"
              for hit in missed] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.noise", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out/noise"))
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "secret-scanner-noise",
                        help="downloads are kept here between runs (outside git)")
    parser.add_argument("--skip-fetch", action="store_true", help="reuse the trees already under OUT/trees")
    parser.add_argument("--no-large", action="store_true", help="leave out the big Ansible collections wheel")
    parser.add_argument("--tools", default="ours,kingfisher")
    parser.add_argument("--trees", default=",".join(noise_fetch.TREES))
    parser.add_argument("--ours-cmd", help="our scanner's command (default: python -m secret_scanner)")
    parser.add_argument("--threshold", default="medium", choices=tuple(_RANK),
                        help="our default --min-confidence, for the 'default' column")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.skip_fetch:
        trees = {name: out / "trees" / name for name in noise_fetch.TREES}
    else:
        trees = noise_fetch.build_trees(args.cache, out, include_large=not args.no_large)
    trees = {name: root for name, root in trees.items() if name in args.trees.split(",")}
    ours_prefix = shlex.split(args.ours_cmd) if args.ours_cmd else [sys.executable, "-m", "secret_scanner"]
    if Path(ours_prefix[0]).exists():
        ours_prefix[0] = os.path.abspath(ours_prefix[0])
    peer_argv = compare.build_tools(None)["kingfisher"].command
    runs: list[TreeRun] = []
    for name, root in trees.items():
        if "ours" in args.tools:
            runs.append(run_tool("ours", lambda t, r, s: _ours_argv(ours_prefix, t, r, s), _parse_ours, name,
                                 root, args.timeout))
        if "kingfisher" in args.tools:
            runs.append(run_tool("kingfisher", peer_argv, _parse_kingfisher, name, root, args.timeout))
    sizes = {name: tree_size(root) for name, root in trees.items()}
    ours_default = at_threshold([h for r in runs if r.tool == "ours" for h in r.hits], args.threshold)
    missed = find_missed([h for r in runs if r.tool == "kingfisher" for h in r.hits], ours_default)
    markdown = render_markdown(runs, sizes, args.threshold, missed)
    (out / "results.md").write_text(markdown, encoding="utf-8")
    (out / "results.json").write_text(json.dumps({
        "threshold": args.threshold,
        "sizes": {name: {"files": f, "bytes": b} for name, (f, b) in sizes.items()},
        "runs": [{"tree": r.tree, "tool": r.tool, "seconds": round(r.seconds, 2), "problems": list(r.problems),
                  "by_rule": dict(Counter(h.rule for h in r.hits))} for r in runs],
        "missed": [asdict(hit) for hit in missed],
        "hits": [asdict(hit) for r in runs if r.tool == "ours" for hit in r.hits],
    }, indent=1) + "\n", encoding="utf-8")
    for run in runs:
        for problem in run.problems:
            print(problem, file=sys.stderr)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
