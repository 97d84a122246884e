"""Incremental-scan benchmark (issue #10): a full scan and a rescan with nothing changed, beside Kingfisher.

The tree is a copy of a Python installation's lib directory (>= 50,000 files, >= 900 MB) with the
directories our walker prunes by name renamed (site-packages, python3.X under lib/), built once under /tmp:

    python -m bench.incremental                       # build /tmp/secretscanner-bench/pylib on first use
    python -m bench.incremental --source ~/.pyenv/versions/3.11.7/lib --source ~/.pyenv/versions/3.10.13/lib

Each tool runs as a child process; wall time is measured around it and peak memory is the child's
ru_maxrss from wait4. Ours runs twice on one fresh state directory: `--full` first, then a plain rescan.
Targets: full <= 0.7 x Kingfisher, rescan <= 3 % of our full scan, peak RSS <= 150 MB.
Results go to bench/out/incremental.{md,json}; no tool output (which may hold values) is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

RENAMES = {"site-packages": "site_pkgs_renamed", "dist-packages": "dist_pkgs_renamed"}
_STDLIB_DIR = re.compile(r"python\d(?:\.\d+)?")
TARGET_FULL_RATIO, TARGET_RESCAN_RATIO, TARGET_RSS_MB = 0.7, 0.03, 150.0


@dataclass(frozen=True)
class Measure:
    tool: str
    run: str
    seconds: float
    peak_rss_mb: float
    exit_code: int


def build_tree(sources: list[Path], tree: Path) -> tuple[int, int]:
    """Copy each source to `tree/<its parent's name>` once (symlinks kept as links) and rename pruned
    directories; return (files, bytes)."""
    if not tree.exists():
        staging = tree.with_name(tree.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for source in sources:
            shutil.copytree(source, staging / source.parent.name, symlinks=True, ignore_dangling_symlinks=True)
        for directory, names, _ in os.walk(staging, topdown=False):
            for name in names:
                new = RENAMES.get(name) or ("pythonlib-" + name if _STDLIB_DIR.fullmatch(name) else None)
                if new is not None:
                    os.rename(os.path.join(directory, name), os.path.join(directory, new))
        staging.rename(tree)
    files = size = 0
    for directory, _, names in os.walk(tree):
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                files += 1
                size += os.path.getsize(path)
    return files, size


def measure(tool: str, run: str, command: list[str], ok: tuple[int, ...]) -> Measure:
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code
    if code not in ok:
        raise SystemExit(f"{tool} {run} exited {code}: {command}")
    return Measure(tool, run, seconds, usage.ru_maxrss / 1024, code)


def kingfisher_binary() -> str:
    beside = Path(sys.executable).parent / "kingfisher"
    return str(beside) if beside.exists() else (shutil.which("kingfisher") or "kingfisher")


def run_all(tree: Path, ours: list[str], repeats: int) -> list[Measure]:
    results: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as scratch:
        work = Path(scratch)
        for index in range(repeats):
            report = work / "kingfisher.json"
            results.append(measure("kingfisher", "full", [
                kingfisher_binary(), "scan", str(tree), "--format", "json", "--output", str(report),
                "--no-validate", "--no-update-check", "--git-history", "none", "--quiet"], (0, 200, 205)))
            report.unlink(missing_ok=True)
            state = work / f"state-{index}"
            scan = [*ours, "--scan", str(tree), "--state-dir", str(state), "--quiet",
                    "--report", str(work / "ours.json")]
            results.append(measure("ours", "full", [*scan, "--full"], (0, 1)))
            results.append(measure("ours", "rescan, nothing changed", scan, (0, 1)))
    return results


def best(results: list[Measure], tool: str, run: str) -> Measure:
    return min((m for m in results if m.tool == tool and m.run == run), key=lambda m: m.seconds)


def render(results: list[Measure], files: int, size: int, command: str) -> str:
    king, full = best(results, "kingfisher", "full"), best(results, "ours", "full")
    rescan = best(results, "ours", "rescan, nothing changed")
    peak = max(m.peak_rss_mb for m in results if m.tool == "ours")
    lines = [f"Tree: {files:,} files, {size / 1e6:,.0f} MB. Command: `{command}`", "",
             "| tool | run | wall s | peak RSS MB |", "|---|---|---:|---:|"]
    lines += [f"| {m.tool} | {m.run} | {m.seconds:.2f} | {m.peak_rss_mb:.0f} |" for m in (king, full, rescan)]
    checks = [
        ("full scan / Kingfisher", full.seconds / king.seconds, TARGET_FULL_RATIO),
        ("rescan / our full scan", rescan.seconds / full.seconds, TARGET_RESCAN_RATIO),
        ("our peak RSS MB", peak, TARGET_RSS_MB),
    ]
    lines += ["", "| target | measured | limit | met |", "|---|---:|---:|---|"]
    lines += [f"| {name} | {value:.3f} | {limit:g} | {'yes' if value <= limit else 'NO'} |"
              for name, value, limit in checks]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, action="append",
                        help="a lib directory to copy (repeatable; default: this interpreter's)")
    parser.add_argument("--tree", type=Path, default=Path(tempfile.gettempdir()) / "secretscanner-bench" / "pylib")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--ours-cmd", default=f"{sys.executable} -m secret_scanner")
    args = parser.parse_args(argv)
    args.tree.parent.mkdir(parents=True, exist_ok=True)
    files, size = build_tree(args.source or [Path(sys.base_prefix) / "lib"], args.tree)
    # An installed package has its bytecode (pip and the frozen build compile it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module on every run and time that instead.
    import compileall

    import secret_scanner

    compileall.compile_dir(str(Path(secret_scanner.__file__).parent), quiet=1)
    results = run_all(args.tree, args.ours_cmd.split(), args.repeats)
    command = "python -m bench.incremental " + " ".join(argv if argv is not None else sys.argv[1:])
    table = render(results, files, size, command.strip())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "incremental.md").write_text(table, encoding="utf-8")
    (args.out / "incremental.json").write_text(json.dumps(
        {"files": files, "bytes": size, "runs": [asdict(m) for m in results]}, indent=2), encoding="utf-8")
    print(table, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
