"""Freeze SecretScanner and its deploy tool into one-folder programs with PyInstaller, on the OS it runs on.

    python build/build.py [--clean] [--skip-check]

Output (next to the repository's `dist/`):
    dist/SecretScanner/SecretScanner[.exe] + _internal/          -> {AgentRoot}/Jobs/bin/SecretScanner/
    dist/secret-scanner-deploy/secret-scanner-deploy[.exe] + _internal/

After the build it runs `SecretScanner --version` from dist and checks the rule data, Hyperscan and certifi
were collected, then prints the build time, the folder sizes and the start-up time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BUILD_DIR = Path(__file__).resolve().parent
ROOT = BUILD_DIR.parent
SPEC = BUILD_DIR / "SecretScanner.spec"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
SCANNER = "SecretScanner"
DEPLOY = "secret-scanner-deploy"

sys.path.insert(0, str(BUILD_DIR))
from version_info import read_version  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freeze SecretScanner (one-folder) with PyInstaller.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=BUILD_DIR / "work",
                        help="PyInstaller work folder (default: build/work/)")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first (slower, surer)")
    parser.add_argument("--skip-check", action="store_true", help="do not run the built binary afterwards")
    return parser.parse_args(argv)


def run_pyinstaller(dist: Path, work: Path, clean: bool) -> float:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        command.append("--clean")
    command.append(str(SPEC))
    print("+ " + " ".join(command), flush=True)
    started = time.monotonic()
    # Reproducible bytecode paths; PyInstaller honours SOURCE_DATE_EPOCH where it can.
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def executable(dist: Path, name: str) -> Path:
    return dist / name / f"{name}{EXE_SUFFIX}"


def rule_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.toml")}


def check_contents(dist: Path, source_rules: set[str]) -> list[str]:
    """What a broken freeze usually lacks: data files, the native regex engine, the CA bundle.
    `source_rules` is the rule folder as it was when the build started."""
    problems: list[str] = []
    internal = dist / SCANNER / "_internal"
    for name in (SCANNER, DEPLOY):
        if not executable(dist, name).is_file():
            problems.append(f"missing {executable(dist, name)}")
    frozen_rules = rule_files(internal / "secret_scanner" / "rules")
    if not source_rules <= frozen_rules:
        problems.append(f"rule files not collected: {sorted(source_rules - frozen_rules)}")
    if not frozen_rules:
        problems.append("no rules/*.toml collected")
    added = rule_files(ROOT / "secret_scanner" / "rules") - frozen_rules
    if added:
        print(f"WARNING: rule files added during the build are not in it: {sorted(added)}", file=sys.stderr)
    if not list((internal / "secret_scanner" / "schema").glob("*.json")):
        problems.append("no schema/*.json collected")
    if not list(internal.glob("certifi/cacert.pem")):
        problems.append("certifi/cacert.pem not collected (requests could not verify TLS)")
    allow_no_hyperscan = os.environ.get("SECRET_SCANNER_ALLOW_NO_HYPERSCAN") == "1"
    if not allow_no_hyperscan and not list(internal.glob("hyperscan/_hs_ext*")):
        problems.append("hyperscan/_hs_ext native module not collected")
    return problems


def measure_startup(binary: Path, runs: int = 5) -> tuple[str, float]:
    """Best of a few runs of `--version`: the first run also pays for the disk cache."""
    best = float("inf")
    output = ""
    for _ in range(runs):
        started = time.monotonic()
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60,
                              check=False)
        best = min(best, time.monotonic() - started)
        if done.returncode != 0:
            raise SystemExit(f"{binary} --version exited {done.returncode}: {done.stderr.strip()}")
        output = done.stdout.strip()
    return output, best


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    version = read_version()
    python = sys.version.split()[0]
    print(f"== building SecretScanner {version} for {sys.platform} with Python {python}", flush=True)
    source_rules = rule_files(ROOT / "secret_scanner" / "rules")
    seconds = run_pyinstaller(args.dist.resolve(), args.work.resolve(), args.clean)
    problems = check_contents(args.dist, source_rules)
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"build time: {seconds:.1f}s")
    for name in (SCANNER, DEPLOY):
        print(f"size of dist/{name}/: {folder_size(args.dist / name) / 1e6:.1f} MB")
    if not args.skip_check:
        output, startup = measure_startup(executable(args.dist, SCANNER))
        if output != f"SecretScanner {version}":
            print(f"ERROR: --version printed {output!r}, expected 'SecretScanner {version}'", file=sys.stderr)
            return 1
        print(f"start-up: `{SCANNER} --version` -> {output!r} in {startup * 1000:.0f} ms (best of 5)")
    print(f"OK: {executable(args.dist, SCANNER)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
