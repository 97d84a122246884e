"""`secret-scanner-jobs`: the command line of the offline job validator (the rules are in admin/jobcheck.py).

`validate FILE...` prints each file's verdict (or a JSON array of the agent-shaped answers with --json) and
exits 0 when every file is valid, 1 when any is invalid, 2 on a usage error (cli/exitcodes.py JobsExit).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from secret_scanner.admin.agentroot import current_os, detect_agent_root, is_agent_root, known_roots
from secret_scanner.admin.jobcheck import CheckOptions, validate_file
from secret_scanner.cli.exitcodes import JobsExit
from secret_scanner.cli.shell import ErrorRule, Program, run_program
from secret_scanner.errors import ScannerError

PROG = "secret-scanner-jobs"
PROGRAM = Program(
    name=PROG,
    ok=JobsExit.VALID,
    usage=JobsExit.USAGE,
    internal=JobsExit.INTERNAL,
    interrupted=JobsExit.INTERRUPTED,
    rules=(ErrorRule(ScannerError, JobsExit.USAGE),),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check KEPM job JSON files offline, with the rules of Keeper's job reference.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser("validate",
                                   help="validate job files; exit 0 all valid, 1 any invalid, 2 usage")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE", help="job JSON file(s)")
    validate.add_argument("--agent-root", type=Path, metavar="DIR",
                          help="agent install root for the binary check (default: detected from known roots)")
    validate.add_argument("--no-binary-check", action="store_true",
                          help="skip the binary-exists check even when an agent root is found")
    validate.add_argument("--allow-disabled", action="store_true",
                          help="report enabled:false as a warning instead of an error")
    validate.add_argument("--json", action="store_true", help="print a JSON array of per-file answers")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the validator; return its exit code. Never raises."""
    return run_program(PROGRAM, build_parser(), _validate, argv)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _validate(args: argparse.Namespace) -> int:
    agent_root: Path | None = args.agent_root
    if agent_root is not None and not is_agent_root(agent_root):
        print(f"{PROG}: error: --agent-root {agent_root} holds no Jobs/ directory", file=sys.stderr)
        return JobsExit.USAGE
    if agent_root is None and not args.no_binary_check:
        agent_root = detect_agent_root()
        if agent_root is None:
            tried = ", ".join(str(root) for root in known_roots())
            print(f"{PROG}: no agent root found (tried {tried}); binary checks skipped", file=sys.stderr)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"{PROG}: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return JobsExit.USAGE
    options = CheckOptions(host_os=current_os(), agent_root=agent_root,
                           check_binaries=not args.no_binary_check, allow_disabled=args.allow_disabled)
    answers = [(path, validate_file(path, options)) for path in args.files]
    if args.json:
        print(json.dumps([{"file": str(path), **report.to_dict()} for path, report in answers], indent=2))
    else:
        for path, report in answers:
            print(f"{path}: {'valid' if report.valid else 'INVALID'} (jobId {report.job_id})")
            for text in report.errors:
                print(f"  error: {text}")
            for text in report.warnings:
                print(f"  warning: {text}")
    return JobsExit.VALID if all(report.valid for _, report in answers) else JobsExit.INVALID
