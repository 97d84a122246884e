"""PLACEHOLDER run lock (to be replaced by the job-mode work)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def acquire_run_lock(state_dir: Path) -> Iterator[None]:
    yield
