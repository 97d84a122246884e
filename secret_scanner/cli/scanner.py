"""Command line: parses arguments, wires the layers together, and turns every outcome into one exit code.

This is the only module that reads argv, prints, or maps exceptions to exit codes.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from secret_scanner import __version__
from secret_scanner.cli.argtypes import parse_positive_float, parse_positive_int
from secret_scanner.cli.exitcodes import ExitCode
from secret_scanner.cli.shell import ErrorRule, Program, run_program
from secret_scanner.config import Config, load_config, locate_config
from secret_scanner.errors import (
    ConfigError,
    LockHeldError,
    ReportError,
    RuleError,
    ScannerError,
    StateError,
    UsageError,
)
from secret_scanner.model import ScanResult
from secret_scanner.names import show_name
from secret_scanner.net.urls import check_https_base

log = logging.getLogger("secret_scanner")

CA_BUNDLE_ENV = "SECRET_SCANNER_CA_BUNDLE"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="SecretScanner",
        description="Find exposed credentials in this machine's files and report them, redacted.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--scan", action="store_true", help="scan files for secrets")
    action.add_argument("--list-rules", action="store_true", help="print the rule catalog and exit")
    action.add_argument("--self-test", action="store_true", help="run every rule's examples through the engine")
    action.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--keeper-api-base", metavar="URL",
                        help="KEPM local API base (https://127.0.0.1:6889); enables job mode: publish to KeeperLogger")
    parser.add_argument("--path", action="append", type=Path, metavar="PATH", default=[],
                        help="file or directory to scan (repeatable); default: the machine's usual credential places")
    parser.add_argument("--exclude", action="append", metavar="GLOB", default=[],
                        help="skip paths matching this glob (repeatable)")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="write the whole redacted report to FILE ('-': stdout; the summary goes to stderr)")
    parser.add_argument("--format", choices=("json", "sarif", "text"),
                        help="format of the --report file (default: json); with --list-rules: json or text")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (as --path)")
    parser.add_argument("--full", action="store_true",
                        help="read every file: ignore the scan state of earlier runs and rebuild it")
    parser.add_argument("--baseline", type=Path, metavar="REPORT",
                        help="report only findings whose fingerprint is not in this earlier JSON report")
    parser.add_argument("--state-dir", type=Path, metavar="DIR",
                        help="lock, undelivered messages and fingerprint key (default: per-OS machine location)")
    parser.add_argument("--ca-bundle", type=Path, metavar="FILE",
                        help=f"CA bundle that verifies the agent's certificate (or ${CA_BUNDLE_ENV})")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="fleet config file (default: secret-scanner.toml beside the binary)")
    parser.add_argument("--event-topic", metavar="TOPIC",
                        help="job event topic (default: Jobs/{KEEPER_JOB_ID}/events)")
    parser.add_argument("--max-finding-messages", type=parse_positive_int, metavar="N",
                        help="KeeperLogger messages for single findings per run; the rest are summarised (default 100)")
    parser.add_argument("--time-budget", type=parse_positive_float, metavar="SECONDS",
                        help="stop scanning after this long and report what was found (default 2700)")
    parser.add_argument("--max-file-size", type=parse_positive_int, metavar="BYTES",
                        help="skip files larger than this (default 50 MiB)")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"),
                        help="report findings of this confidence and up; the rest are only counted (default medium)")
    parser.add_argument("--min-severity", choices=("low", "medium", "high", "critical"),
                        help="report findings of this severity and up; the rest are only counted (default low)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    parser.add_argument("--verbose", action="store_true", help="log progress details to stderr")
    return parser


PROGRAM = Program(
    name="SecretScanner",
    ok=ExitCode.CLEAN,
    usage=ExitCode.USAGE,
    internal=ExitCode.INTERNAL,
    interrupted=ExitCode.INTERRUPTED,
    rules=(
        ErrorRule((UsageError, ConfigError, StateError, ReportError), ExitCode.USAGE),
        ErrorRule(LockHeldError, ExitCode.LOCKED, logging.WARNING),
        ErrorRule(RuleError, ExitCode.INTERNAL, prefix="rule catalog is broken: "),
        ErrorRule(ScannerError, ExitCode.INTERNAL),
    ),
    quiet_level=logging.INFO,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; return the exit code. Never raises."""
    parser = build_parser()
    return run_program(PROGRAM, parser, lambda args: _dispatch(parser, args), argv)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.version:
        print(f"SecretScanner {__version__}")
        return ExitCode.CLEAN
    if args.list_rules:
        from secret_scanner.catalog.loader import load_rules
        from secret_scanner.output.containers import render_container_kinds
        from secret_scanner.output.text import render_catalog

        if args.format == "json":
            from secret_scanner.output.catalog import render_catalog_json

            print(render_catalog_json(load_rules()), end="")
        else:
            print(render_catalog(load_rules()), end="")
            print(render_container_kinds(), end="")
        return ExitCode.CLEAN
    if args.self_test:
        from secret_scanner.engine.selftest import run_self_test

        outcome = run_self_test()
        for failure in outcome.failures:
            print(f"FAIL {failure}")
        print(f"self-test: {outcome.passed} passed, {len(outcome.failures)} failed")
        return ExitCode.CLEAN if not outcome.failures else ExitCode.SECRETS_FOUND
    if not args.scan:
        raise UsageError("nothing to do: give --scan (or --list-rules, --self-test, --version); see --help")
    return _scan(args)


def _scan(args: argparse.Namespace) -> int:
    from secret_scanner.cli import session
    from secret_scanner.output import jsonreport
    from secret_scanner.state.directory import default_state_dir, ensure_state_dir
    from secret_scanner.state.keys import load_fingerprinter
    from secret_scanner.state.lock import acquire_run_lock

    api_base = _check_api_base(args.keeper_api_base) if args.keeper_api_base is not None else None
    ca_bundle = _resolve_ca_bundle(args.ca_bundle)
    roots = _check_paths(args.path + args.paths)
    config = load_config(args.config if args.config is not None else locate_config())
    state_dir = ensure_state_dir(args.state_dir if args.state_dir is not None else default_state_dir())
    run_id = str(uuid.uuid4())
    stop = _install_stop_handlers()
    _lower_priority()
    baseline = session.load_baseline(args.baseline)

    with acquire_run_lock(state_dir):
        fingerprinter = load_fingerprinter(state_dir, config.fingerprint_key)
        job_progress = session.job_progress() if api_base is not None else None

        def run_scan() -> ScanResult:
            progress = job_progress or session.terminal_progress(args.quiet)
            with progress:
                result = _run_engine(args, config, roots, fingerprinter, stop, state_dir, progress.sink)
            return session.suppress(result, config.ignore_fingerprints, baseline)

        delivered = True
        if api_base is None:
            result = run_scan()
        else:
            from secret_scanner.jobmode.run import JobSettings, run_job

            outcome = run_job(
                JobSettings(
                    api_base=api_base,
                    ca_bundle=ca_bundle,
                    state_dir=state_dir,
                    run_id=run_id,
                    event_topic=args.event_topic or config.event_topic,
                    max_finding_messages=args.max_finding_messages or config.max_finding_messages,
                    lifecycle=session.lifecycle(state_dir, config.resend_active_hours),
                    progress=job_progress.job if job_progress is not None else None,
                ),
                run_scan,
                stop,
            )
            result, delivered = outcome.result, outcome.delivered
            for problem in outcome.problems:
                log.error("%s", problem)

        to_stdout = args.report is not None and str(args.report) == "-"
        if args.report is not None:
            rendered = _render_report(args.format or "json", result, run_id, fingerprinter.scope)
            if to_stdout:
                sys.stdout.write(rendered)
                sys.stdout.flush()
            else:
                jsonreport.write_report(args.report, rendered)
        session.print_human(result, sys.stderr if to_stdout else sys.stdout,
                            summary_only=args.quiet or api_base is not None)
    return _exit_code_for(result, delivered)


def _exit_code_for(result: ScanResult, delivered: bool) -> ExitCode:
    # Undelivered findings reach nobody, so that outranks everything; a finding is true even when the
    # scan was cut short, so "found" outranks "incomplete"; only a complete scan may say "clean".
    if not delivered:
        return ExitCode.DELIVERY_FAILED
    if result.findings:
        return ExitCode.SECRETS_FOUND
    if not result.complete:
        return ExitCode.INCOMPLETE
    return ExitCode.CLEAN


def _render_report(fmt: str, result: ScanResult, run_id: str, scope: str) -> str:
    from secret_scanner.output import jsonreport, text

    if fmt == "text":
        return text.render_text(result)
    if fmt == "sarif":
        from secret_scanner.output.sarif import render_sarif

        return render_sarif(result)
    return jsonreport.render_json(jsonreport.build_report(result, run_id, scope))


def _run_engine(
    args: argparse.Namespace, config: Config, roots: tuple[Path, ...], fingerprinter: object,
    stop: threading.Event, state_dir: Path, progress: object = None,
) -> ScanResult:
    from secret_scanner.engine.archives import ArchiveLimits
    from secret_scanner.engine.identity import Fingerprinter
    from secret_scanner.engine.scan import ScanOptions
    from secret_scanner.engine.walk import default_roots
    from secret_scanner.model import Confidence, Severity
    from secret_scanner.state.blobs import AuthenticatedBlobStore
    from secret_scanner.state.keys import derive_state_key

    assert isinstance(fingerprinter, Fingerprinter)
    if not roots:
        roots = default_roots() + tuple(Path(p) for p in config.extra_paths)
    options = ScanOptions(
        roots=roots,
        exclude=tuple(args.exclude) + config.exclude,
        max_file_bytes=args.max_file_size or config.max_file_bytes,
        time_budget_seconds=args.time_budget or config.time_budget_seconds,
        # The compiled Hyperscan database is cached beside the lock: compiling it costs ~2 s a run.
        cache=AuthenticatedBlobStore(state_dir, derive_state_key(state_dir)),
        min_confidence=Confidence(args.min_confidence or config.min_confidence),
        min_severity=Severity(args.min_severity or config.min_severity),
        archives=ArchiveLimits(
            max_depth=config.archive_max_depth, max_members=config.archive_max_members,
            max_bytes=config.archive_max_bytes, max_ratio=config.archive_max_ratio,
            max_seconds=config.archive_max_seconds, max_member_bytes=args.max_file_size or config.max_file_bytes),
    )
    from secret_scanner.cli import session

    return session.scan_remembering(options, fingerprinter, stop.is_set, state_dir, args.full, config, progress)


def _check_api_base(url: str) -> str:
    return check_https_base(url, "--keeper-api-base").url


def _resolve_ca_bundle(given: Path | None) -> Path | None:
    env = os.environ.get(CA_BUNDLE_ENV)
    path = given if given is not None else (Path(env) if env else None)
    if path is not None and not path.is_file():
        source = "--ca-bundle" if given is not None else f"${CA_BUNDLE_ENV}"
        raise UsageError(f"{source}: CA bundle {path} is not a readable file")
    return path


def _check_paths(paths: list[Path]) -> tuple[Path, ...]:
    # os.stat, not Path.exists(): exists() calls a symlink loop "missing" and raises on a name too long.
    for path in paths:
        shown = show_name(os.fspath(path))
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise UsageError(f"--path {shown[:200]}...: longer than the operating system allows "
                                 f"({len(os.fsencode(path))} bytes)") from None
            reason = (exc.strerror or type(exc).__name__).lower()  # "no such file or directory"
            raise UsageError(f"--path {shown}: {reason}") from None
        except ValueError as exc:  # an embedded NUL byte
            raise UsageError(f"--path {shown}: not a usable path ({exc})") from None
    return tuple(paths)


def _install_stop_handlers() -> threading.Event:
    """SIGTERM (the agent's timeout kill, a shutdown) and the first Ctrl-C end the scan early: findings so far
    are reported and spooled, PUBACK waits end within seconds, and the run exits 3 (or 1 with findings, 4 if
    not delivered; docs/hostile-machine.md). A second Ctrl-C interrupts at once (exit 130)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and stop.is_set():
            signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt: the user insists
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGBREAK", "SIGINT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), on_signal)
    return stop


def _lower_priority() -> None:
    """Stay light on a workstation: background CPU and I/O priority for the whole run (cli/priority.py)."""
    from secret_scanner.cli.priority import lower_priority

    lower_priority()
