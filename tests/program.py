"""The program under test: the command that runs the scanner (this package, or the frozen binary with
SECRET_SCANNER_BIN) and the clean job-mode environment it runs in.
"""

from __future__ import annotations

import os
import sys

import pytest

JOB_ID = "secrets-scanner"
EVENT_TOPIC = f"Jobs/{JOB_ID}/events"


@pytest.fixture
def scanner_command() -> list[str]:
    """The program under test: the frozen binary when SECRET_SCANNER_BIN is set, else this package."""
    binary = os.environ.get("SECRET_SCANNER_BIN")
    return [binary] if binary else [sys.executable, "-m", "secret_scanner"]


def scanner_env(**extra: str | None) -> dict[str, str]:
    """A clean environment for a job-mode run: short test windows, our job id, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPER_", "SECRET_SCANNER_"))}
    env.update(
        {
            "KEEPER_JOB_ID": JOB_ID,
            "SECRET_SCANNER_RETRY_SECONDS": "1",
            "SECRET_SCANNER_PUBACK_TIMEOUT": "5",
            "SECRET_SCANNER_HTTP_TIMEOUT": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
