"""The one error-handling shell of every program (SecretScanner, secret-scanner-jobs, -deploy, -devagent).

run_program() parses argv and runs a program's body, and is the only place that turns an outcome into an exit
code: argparse's SystemExit becomes the usage code (argparse already printed why), Ctrl-C the interrupted code
without a traceback, a known error family its code with one stderr line, and anything else the internal code
with one line naming where it failed. That line never carries a value: an exception message may quote
scanned content. The stderr logging setup is shared too, so every line starts with the program's name.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LOGGER = "secret_scanner"


@dataclass(frozen=True)
class ErrorRule:
    """An error family and what it means for this program: exit code, log level, a prefix for the message."""

    family: type[Exception] | tuple[type[Exception], ...]
    code: int
    level: int = logging.ERROR
    prefix: str = ""


@dataclass(frozen=True)
class Program:
    """What the shell needs to know about a program; `rules` are tried in order, the first match wins."""

    name: str
    ok: int
    usage: int
    internal: int
    interrupted: int
    rules: tuple[ErrorRule, ...]
    quiet_level: int = logging.WARNING  # the log level without --verbose


def run_program(
    program: Program,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], int],
    argv: Sequence[str] | None,
) -> int:
    """Run `body` on the parsed arguments; return the exit code. Never raises."""
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse already printed usage and the problem
            return program.ok if exc.code in (0, None) else program.usage
        configure_logging(program, bool(getattr(args, "verbose", False)))
        return _run_body(program, body, args)
    except KeyboardInterrupt:
        sys.stderr.write(f"{program.name}: interrupted\n")
        return program.interrupted


def _run_body(program: Program, body: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return int(body(args))
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        for rule in program.rules:
            if isinstance(exc, rule.family):
                logging.getLogger(LOGGER).log(rule.level, "%s%s", rule.prefix, exc)
                return rule.code
        report_internal_error(program.name, exc)
        return program.internal


class _StderrFormatter(logging.Formatter):
    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def format(self, record: logging.LogRecord) -> str:
        return f"{self._name}: {record.levelname.lower()}: {record.getMessage()}"


def configure_logging(program: Program, verbose: bool) -> None:
    """Package logs to stderr as "NAME: level: message"; an error in a worker thread is reported like ours."""
    log = logging.getLogger(LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter(program.name))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else program.quiet_level)
    log.propagate = False

    def on_thread_error(hook_args: threading.ExceptHookArgs) -> None:
        if hook_args.exc_value is not None:
            report_internal_error(program.name, hook_args.exc_value)

    threading.excepthook = on_thread_error


def report_internal_error(name: str, exc: BaseException) -> None:
    """Where it failed, never what the values were: an exception message may quote scanned content."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-6:]))
    sys.stderr.write(f"{name}: internal error: {type(exc).__name__} at {where or 'unknown'}\n")
