"""Frozen entry point of SecretScanner: PyInstaller needs a script; the console script is cli:run."""

from __future__ import annotations

import multiprocessing

from secret_scanner.cli.scanner import run

if __name__ == "__main__":
    # A frozen program that ever starts a worker process must call this first, or the child re-runs main().
    multiprocessing.freeze_support()
    run()
